// The database CLI's configuration: the same variables as the server, read once here.
import { repoRoot } from '@shop/proc';
import { type DatabaseHandle, openDatabase } from '../embedded.ts';

/** DATABASE_URL's database, or the embedded one in DATA_DIR as the server runs it (not in production). */
export function cliDatabase(): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL || undefined;
  // A forgotten DATABASE_URL in production would write to a throwaway embedded database.
  if (!url && process.env.NODE_ENV === 'production') {
    console.error('DATABASE_URL: required in production (the embedded database is for trying the shop)');
    process.exit(78);
  }
  return openDatabase({
    url,
    dataDir: `${process.env.DATA_DIR || `${repoRoot}.data`}/postgres`,
    log: (line) => console.error(line),
  });
}

export interface BackupSettings {
  /** BACKUP_DIR: where dated backups go. */
  dir: string;
  /** How many dated backups of a database to keep (the newest); null keeps all. */
  keep: number | null;
}

/**
 * `pnpm db:backup`'s settings: BACKUP_DIR, and BACKUP_KEEP unless `--keep` is given. A bad count
 * stops before anything is dumped or deleted, naming where it came from.
 */
export function backupSettings(keepFlag: string | undefined): BackupSettings {
  const dir = process.env.BACKUP_DIR || `${repoRoot}backups`;
  const [source, raw] = keepFlag === undefined ? ['BACKUP_KEEP', process.env.BACKUP_KEEP || undefined] : ['--keep', keepFlag];
  if (raw === undefined) return { dir, keep: null };
  if (!/^[1-9]\d{0,5}$/.test(raw)) {
    console.error(`${source}: the number of backups to keep, a whole number of at least 1; got "${raw}"`);
    process.exit(source === '--keep' ? 2 : 78);
  }
  return { dir, keep: Number(raw) };
}
