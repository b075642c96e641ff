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
  /** BACKUP_DIR: where `pnpm db:backup` writes (default <repo>/backups). */
  dir: string;
  /** BACKUP_KEEP: how many of this database's backups to keep there, the newest; undefined keeps all. */
  keep: number | undefined;
}

/** BACKUP_DIR and BACKUP_KEEP, validated; a bad BACKUP_KEEP stops the command before it dumps anything. */
export function backupSettings(): BackupSettings {
  const raw = process.env.BACKUP_KEEP?.trim() || undefined;
  if (raw !== undefined && !/^[1-9]\d{0,4}$/.test(raw)) {
    console.error(`BACKUP_KEEP: must be a whole number of backups from 1 to 99999, not ${JSON.stringify(raw)}`);
    process.exit(78);
  }
  return { dir: process.env.BACKUP_DIR || `${repoRoot}backups`, keep: raw === undefined ? undefined : Number(raw) };
}
