import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../embedded.ts';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * The PostgreSQL server tests create their databases on: DATABASE_URL's server where set, else
 * the local one on 127.0.0.1:5432, else embedded PostgreSQL in a temporary folder.
 * Returns a URL of its maintenance database and a stop function.
 */
export async function startTestServer(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  const configured = process.env.DATABASE_URL;
  if (configured) return { adminUrl: withDatabase(configured, 'postgres'), stop: async () => {} };
  // TEST_PG=embedded skips the local server, to exercise the no-setup path.
  if (process.env.TEST_PG !== 'embedded' && (await answers(LOCAL_SERVER))) return { adminUrl: LOCAL_SERVER, stop: async () => {} };
  // The data folder and its parents must be traversable by the `postgres` OS user (mkdtemp makes 0700).
  const parent = await mkdtemp(join(tmpdir(), 'shop-test-pg-'));
  await chmod(parent, 0o755);
  const db = await openDatabase({ dataDir: join(parent, 'data'), database: 'postgres' });
  return {
    adminUrl: db.url,
    stop: async () => {
      await db.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}
