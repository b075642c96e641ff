// pnpm db:backup [--out <file>] [--keep N]: pg_dump (custom format) of DATABASE_URL (or the
// embedded database) into BACKUP_DIR (default <repo>/backups) as shop-<database>-<UTC time>.dump,
// or into the file --out names. With --keep N (or BACKUP_KEEP), once the dump succeeded, only the
// newest N dated backups of that database stay in BACKUP_DIR; an --out file is outside retention.
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { backupSettings, cliDatabase } from './env.ts';
import { backupDatabase } from './pg-tools.ts';
import { pruneBackups } from './retention.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, keep: { type: 'string' } } });
if (values.out !== undefined && values.keep !== undefined) {
  console.error('--keep applies to the dated backups in BACKUP_DIR, not to an --out file: pass one of them');
  process.exit(2);
}
const settings = backupSettings(values.keep);
const out = values.out === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), values.out);
const warn = (message: string) => console.error(message);
const db = await cliDatabase();
try {
  let path: string | undefined;
  try {
    path = await backupDatabase({ url: db.url, dir: out ? dirname(out) : settings.dir, ...(out ? { file: basename(out) } : {}), warn });
    console.log(path);
  } catch (error) {
    console.error(`backup failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
  if (path && !out) {
    // The backup is good whatever happens here: a failure is a warning, not a failed backup.
    try {
      const deleted = await pruneBackups(dirname(path), db.url, { keep: settings.keep, written: path });
      if (deleted.length) warn(`deleted (older backups, stale partial files): ${deleted.map((f) => basename(f)).join(', ')}`);
    } catch (error) {
      warn(`warning: the backup was written, but deleting older ones failed: ${(error as Error).message}`);
    }
  } else if (path && settings.keep !== null) warn(`BACKUP_KEEP not applied: retention covers the dated backups in BACKUP_DIR, not --out`);
} finally {
  await db.stop();
}
