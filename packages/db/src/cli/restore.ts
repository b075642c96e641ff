// pnpm db:restore <file> [--clean]: pg_restore a db:backup file into DATABASE_URL (or the embedded
// database), which must be empty unless --clean (drop and replace what the backup contains).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cliDatabase } from './env.ts';
import { restoreDatabase } from './pg-tools.ts';

const { values, positionals } = parseArgs({ options: { clean: { type: 'boolean', default: false } }, allowPositionals: true });
const file = positionals[0];
if (!file || positionals.length > 1) {
  console.error('usage: pnpm db:restore <backup file> [--clean]');
  process.exit(2);
}
const db = await cliDatabase();
try {
  // pnpm runs scripts from the repository root: a relative path means the caller's directory.
  await restoreDatabase({ url: db.url, file: resolve(process.env.INIT_CWD ?? process.cwd(), file), clean: values.clean });
  console.log(`restored ${file}`);
} catch (error) {
  console.error(`restore failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.stop();
}
