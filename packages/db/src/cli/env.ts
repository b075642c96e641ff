// The database CLI's configuration: the same variables as the server, read once here.
import { fileURLToPath } from 'node:url';
import { type DatabaseHandle, openDatabase } from '../embedded.ts';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export function cliDatabase(): Promise<DatabaseHandle> {
  return openDatabase({
    url: process.env.DATABASE_URL || undefined,
    dataDir: process.env.SHOP_DATA_DIR || `${repoRoot}.data/postgres`,
    log: (line) => console.error(line),
  });
}
