// pnpm db:backup [--out <file>]: pg_dump (custom format) of DATABASE_URL (or the embedded database)
// into BACKUP_DIR (default <repo>/backups) as shop-<database>-<UTC time>.dump; with BACKUP_KEEP=N,
// then removes that database's older backups there beyond the newest N.
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupSettings, cliDatabase } from './env.ts';
import { backupDatabase, pruneBackups } from './pg-tools.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const settings = backupSettings();
const db = await cliDatabase();
try {
  const path = await backupDatabase({
    url: db.url,
    dir: values.out ? dirname(resolve(process.env.INIT_CWD ?? process.cwd(), values.out)) : settings.dir,
    ...(values.out ? { file: basename(values.out) } : {}),
  });
  console.log(path);
  // Only once the new backup is written: a failed dump never costs an old one.
  if (settings.keep !== undefined) {
    for (const removed of await pruneBackups({ url: db.url, newest: path, keep: settings.keep })) console.error(`removed ${removed}`);
  }
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.stop();
}
