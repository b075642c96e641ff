// Benchmark databases on the local PostgreSQL: one seeded catalog per product count, reused
// across runs, and scratch copies for the scenarios that write.

import { createSessionCodec } from '@shop/auth';
import { createOrm, DEMO_SEED_VERSION, migrate, resetShop, seedDemo } from '@shop/db';
import { sleep } from '@shop/proc';
import pg from 'pg';
import { log } from './progress.ts';

export const PG_BASE = (process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432').replace(/\/$/, '');
export const SESSION_SECRET = 'benchmark-session-secret-0123456789-abcdefghij';
export const dbUrl = (name: string) => `${PG_BASE}/${name}`;

export async function admin<T>(fn: (client: pg.Client) => Promise<T>, database = 'postgres'): Promise<T> {
  const client = new pg.Client({ connectionString: dbUrl(database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function exists(name: string): Promise<boolean> {
  return admin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

/** What a seeded benchmark database's comment says: the seed's version and size. */
const seedMark = (products: number) => `shop demo seed v${DEMO_SEED_VERSION}, ${products} products`;

/**
 * `shop_bench_<n>`: migrated and holding exactly `products` products of the current seed version
 * (seeded only when it does not; the database's comment records what seeded it).
 */
export async function catalogDatabase(products: number): Promise<string> {
  const name = `shop_bench_${products}`;
  if (!(await exists(name))) await admin((c) => c.query(`create database ${name}`));
  const url = dbUrl(name);
  const orm = await createOrm({ url });
  try {
    await migrate(orm);
    const conn = orm.em.getConnection();
    // Older seedings here lost the chat lobby: such a database is seeded again.
    const [row] = await conn.execute<{ n: number; users: number; lobby: boolean; mark: string | null }[]>(
      `select (select count(*)::int from products) as n, (select count(*)::int from users) as users,
         exists (select 1 from chat_rooms where id = 'lobby') as lobby,
         shobj_description((select oid from pg_database where datname = current_database()), 'pg_database') as mark`,
    );
    if (row?.n === products && row.users === 2 && row.lobby && row.mark === seedMark(products)) return url;
    log(`seeding ${name} with ${products.toLocaleString('en')} products (once; reused by later runs)`);
    const started = performance.now();
    await resetShop(orm.em.fork());
    await seedDemo(orm.em.fork(), { products, accounts: true });
    await conn.execute(`comment on database ${name} is '${seedMark(products)}'`);
    log(`seeded ${name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return url;
  } finally {
    await orm.close();
  }
}

/**
 * Waits until no other statement runs in `name` (polled for a few moments in a row): a load that
 * stopped leaves its requests' queries queued behind it, which the next measurement would pay for.
 * Gives up, saying so, after `timeoutMs` (someone else may be using the database).
 */
export async function databaseIdle(name: string, timeoutMs = 30_000): Promise<void> {
  await admin(async (c) => {
    const until = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 3) {
      if (Date.now() > until) {
        log(`${name} still busy after ${timeoutMs / 1000} s; measuring anyway`);
        return;
      }
      const { rows } = await c.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = $1 and state = 'active' and pid <> pg_backend_pid()`,
        [name],
      );
      quiet = rows[0]?.n === 0 ? quiet + 1 : 0;
      await sleep(50);
    }
  });
}

/** A throw-away copy of a seeded catalog (PostgreSQL's file-level template copy: fast). */
export async function scratchDatabase(name: string, fromProducts: number): Promise<string> {
  await catalogDatabase(fromProducts);
  await admin(async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name} template shop_bench_${fromProducts}`);
  });
  return dbUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`drop database if exists ${name} with (force)`));
}

export interface BenchUser {
  id: string;
  cookie: string;
}

/**
 * `n` shoppers inserted directly, with session cookies sealed by the instances' secret: signing in
 * thousands of users through argon2 would benchmark the password hash instead.
 */
export async function benchUsers(url: string, n: number, prefix = 'bench'): Promise<BenchUser[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; session_version: number }>(
      `insert into users (email, name, password_hash, role)
       select $2 || i || '@bench.test', 'Shopper ' || i, 'not-a-hash', 'shopper' from generate_series(1, $1::int) i
       on conflict do nothing
       returning id, session_version`,
      [n, `${prefix}-${Date.now().toString(36)}-`],
    );
    return Promise.all(rows.map(async (r) => ({ id: r.id, cookie: await sealSession(r) })));
  } finally {
    await client.end();
  }
}

/** A `name=value` session cookie for a user, sealed as the instances would (they share the secret). */
async function sealSession(user: { id: string; session_version: number }): Promise<string> {
  const codec = createSessionCodec({ secrets: [SESSION_SECRET], secure: false });
  const now = Date.now();
  return (await codec.write({ uid: user.id, sv: user.session_version, iat: now, seen: now })).split(';')[0] ?? '';
}

/**
 * The session cookie of an account the seed made. Nothing is written: a catalog database with
 * more users than its seed is seeded again by `catalogDatabase`.
 */
export async function seededSessionCookie(url: string, email: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; session_version: number }>('select id, session_version from users where email = $1', [
      email,
    ]);
    if (!rows[0]) throw new Error(`no account ${email} in ${url}`);
    return await sealSession(rows[0]);
  } finally {
    await client.end();
  }
}
