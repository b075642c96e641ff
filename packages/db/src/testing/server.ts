import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresBin, startPostgres } from '@shop/proc';
import pg from 'pg';
import { openDatabase } from '../embedded.ts';

/** The machine's own server, as the project's machines and CI run it (trust authentication). */
const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Where the test server came from: DATABASE_URL's, the machine's local one, a private one started
 * from Debian's binaries, or embedded PostgreSQL.
 */
export type TestServerKind = 'configured' | 'local' | 'private' | 'embedded';

export interface TestServer {
  /** URL of the server's maintenance database. */
  adminUrl: string;
  kind: TestServerKind;
  /** For a fallback (private, embedded): what the run uses and why, to print once. */
  note?: string;
  stop(): Promise<void>;
}

/** The variables that choose the server (process.env by default). */
export interface TestServerEnv {
  DATABASE_URL?: string | undefined;
  /** `embedded`: skip the local server and Debian's binaries, to exercise the last resort. */
  TEST_PG?: string | undefined;
  /** The local server to probe instead of LOCAL_SERVER: one that does not answer simulates a machine without it. */
  TEST_PG_LOCAL?: string | undefined;
}

/** Why the server at `url` cannot be used as it is (refused, asks a password …); undefined if it can. */
async function unusable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Whether Debian's server binaries are installed (`.ci/system-packages.sh` installs them). */
function hasDebianServer(): boolean {
  try {
    postgresBin();
    return true;
  } catch {
    return false;
  }
}

async function startEmbedded(note: string): Promise<TestServer> {
  // The data folder and its parents must be traversable by the `postgres` OS user (mkdtemp makes 0700).
  const parent = await mkdtemp(join(tmpdir(), 'shop-test-pg-'));
  await chmod(parent, 0o755);
  const db = await openDatabase({ dataDir: join(parent, 'data'), database: 'postgres' });
  return {
    adminUrl: db.url,
    kind: 'embedded',
    note: `${note}: the tests run on embedded PostgreSQL, which ships no pg_dump; the backup tests fail unless one of its major version or newer is found (PG_BIN)`,
    stop: async () => {
      await db.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

/**
 * The PostgreSQL server tests create their databases on: DATABASE_URL's server where set, else the
 * local one (TEST_PG_LOCAL, default 127.0.0.1:5432) if it lets postgres in without a password, else
 * a private server of the run's own from Debian's binaries, whose pg_dump and pg_restore (same
 * folder) match its version for the backup tests, else, with no Debian binaries, embedded PostgreSQL (PostgreSQL 18, with no
 * pg_dump of its own: the backup tests then fail, saying so).
 */
export async function startTestServer(env: TestServerEnv = process.env): Promise<TestServer> {
  const none = async () => {};
  if (env.DATABASE_URL) return { adminUrl: withDatabase(env.DATABASE_URL, 'postgres'), kind: 'configured', stop: none };
  if (env.TEST_PG === 'embedded') return startEmbedded('TEST_PG=embedded');
  const local = env.TEST_PG_LOCAL || LOCAL_SERVER;
  const reason = await unusable(local);
  if (reason === undefined) return { adminUrl: withDatabase(local, 'postgres'), kind: 'local', stop: none };
  // A fresh Debian's own cluster answers on 5432 but wants a password over TCP: say which it was.
  const missing = `no PostgreSQL at ${new URL(local).host} took a password-less connection (${reason})`;
  if (!hasDebianServer()) return startEmbedded(`${missing} and no Debian server binaries are installed (apt-get install postgresql)`);
  const server = await startPostgres();
  return {
    adminUrl: server.url,
    kind: 'private',
    note: `${missing}: the tests run on a private server from ${postgresBin()}`,
    stop: () => server.remove(),
  };
}
