// Retention for `pnpm db:backup --keep N`: only the dated dumps of one database
// (shop-<database>-<UTC time>.dump, as backupFileName names them) are candidates for deletion;
// files of other databases, `--out` names and anything else in the folder are never touched.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { databaseOf } from './pg-tools.ts';

/** The dated backups of `url`'s database in `dir`, oldest first (the UTC stamp sorts as text). */
export async function datedBackups(dir: string, url: string): Promise<string[]> {
  const prefix = `shop-${databaseOf(url)}-`;
  return (await readdir(dir))
    .filter((name) => name.startsWith(prefix) && /^\d{8}T\d{6}Z\.dump$/.test(name.slice(prefix.length)))
    .sort()
    .map((name) => join(dir, name));
}

/** Deletes all but the newest `keep` dated backups of `url`'s database in `dir`; returns what it deleted. */
export async function pruneBackups(dir: string, url: string, keep: number): Promise<string[]> {
  const backups = await datedBackups(dir, url);
  const old = backups.slice(0, Math.max(0, backups.length - keep));
  for (const file of old) await rm(file);
  return old;
}
