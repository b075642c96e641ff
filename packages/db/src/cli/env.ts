// The database CLI's configuration: the server's variables for the database (../env.ts) and the
// scripts' own (BACKUP_DIR, BACKUP_KEEP), read once here.
import { repoRoot } from '@shop/proc';
import { z } from 'zod';
import { type DatabaseHandle, openDatabase } from '../embedded.ts';
import { type DatabaseEnv, databaseEnvProblem, databaseEnvShape, embeddedDataDir, parseEnv } from '../env.ts';

/** DATABASE_URL's database, or the embedded one in DATA_DIR as the server runs it (not in production). */
export function cliDatabase(): Promise<DatabaseHandle> {
  let env: DatabaseEnv;
  try {
    env = parseEnv(z.object(databaseEnvShape), process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(78);
  }
  const problem = databaseEnvProblem(env);
  if (problem) {
    console.error(problem);
    process.exit(78);
  }
  return openDatabase({ url: env.DATABASE_URL, dataDir: embeddedDataDir(env), log: (line) => console.error(line) });
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
