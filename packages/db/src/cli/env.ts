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
