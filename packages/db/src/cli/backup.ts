// pnpm db:backup [--out <file>]: pg_dump (custom format) of DATABASE_URL (or the embedded database)
// into BACKUP_DIR (default <repo>/backups) as shop-<database>-<UTC time>.dump.
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@shop/proc';
import { cliDatabase } from './env.ts';
import { backupDatabase } from './pg-tools.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const db = await cliDatabase();
try {
  const path = await backupDatabase({
    url: db.url,
    dir: values.out ? dirname(resolve(process.env.INIT_CWD ?? process.cwd(), values.out)) : process.env.BACKUP_DIR || `${repoRoot}backups`,
    ...(values.out ? { file: basename(values.out) } : {}),
  });
  console.log(path);
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.stop();
}
