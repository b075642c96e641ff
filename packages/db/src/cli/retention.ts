// Retention for `pnpm db:backup` into BACKUP_DIR: only the dated dumps of one database
// (shop-<database>-<UTC time>.dump, as backupFileName names them) and the partial files of killed
// runs are candidates for deletion; files of other databases, `--out` names and anything else in
// the folder are never touched.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { backupPrefix } from './pg-tools.ts';

const STAMP = String.raw`\d{8}T\d{6}Z\.dump`;

/**
 * A partial file this old belongs to a run that was killed (its clean-up never ran): twice
 * shop-backup.service's TimeoutStartSec (6 h), and pg_dump keeps touching the file of a live run.
 */
export const STALE_PARTIAL_MS = 12 * 3600_000;

/** The names in `dir` that start with `url`'s prefix and whose rest matches `rest`. */
async function namesOf(dir: string, url: string, rest: RegExp): Promise<string[]> {
  const prefix = backupPrefix(url);
  return (await readdir(dir)).filter((name) => name.startsWith(prefix) && rest.test(name.slice(prefix.length)));
}

/** The dated backups of `url`'s database in `dir`, oldest first (the UTC stamp sorts as text). */
export async function datedBackups(dir: string, url: string): Promise<string[]> {
  return (await namesOf(dir, url, new RegExp(`^${STAMP}$`))).sort().map((name) => join(dir, name));
}

export interface PruneOptions {
  /** How many dated backups to keep, `written` among them; null deletes none. */
  keep: number | null;
  /** The dump just written: never deleted, even when a file with a later stamp exists (a clock stepped back, a copy from another host). */
  written: string;
  now?: number;
}

/**
 * Deletes all but the newest `keep` dated backups of `url`'s database in `dir` (counting `written`,
 * which is always kept) and its stale partial files; returns what it deleted.
 */
export async function pruneBackups(dir: string, url: string, { keep, written, now = Date.now() }: PruneOptions): Promise<string[]> {
  const others = (await datedBackups(dir, url)).filter((file) => file !== written);
  const old = keep === null ? [] : others.slice(0, Math.max(0, others.length - (keep - 1)));
  for (const name of await namesOf(dir, url, new RegExp(`^${STAMP}(\\.\\d+)?\\.partial$`))) {
    const file = join(dir, name);
    // Gone meanwhile: its run finished.
    const modified = (await stat(file).catch(() => null))?.mtimeMs ?? now;
    if (now - modified > STALE_PARTIAL_MS) old.push(file);
  }
  for (const file of old) await rm(file, { force: true });
  return old;
}
