// pnpm db:backup [--out <file>] [--keep N]: pg_dump (custom format) of DATABASE_URL (or the
// embedded database) into BACKUP_DIR (default <repo>/backups) as shop-<database>-<UTC time>.dump.
// With --keep N (or BACKUP_KEEP), once the dump succeeded, only the newest N dated backups of
// that database stay in the folder it was written to.
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupSettings, cliDatabase } from './env.ts';
import { backupDatabase } from './pg-tools.ts';
import { pruneBackups } from './retention.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, keep: { type: 'string' } } });
const settings = backupSettings(values.keep);
const db = await cliDatabase();
try {
  const path = await backupDatabase({
    url: db.url,
    dir: values.out ? dirname(resolve(process.env.INIT_CWD ?? process.cwd(), values.out)) : settings.dir,
    ...(values.out ? { file: basename(values.out) } : {}),
  });
  console.log(path);
  if (settings.keep !== null) {
    const deleted = await pruneBackups(dirname(path), db.url, settings.keep);
    if (deleted.length)
      console.error(`deleted ${deleted.length} older backup(s), keeping ${settings.keep}: ${deleted.map((f) => basename(f)).join(', ')}`);
  }
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.stop();
}
