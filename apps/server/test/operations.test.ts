import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { ADDRESS, createProduct } from '@shop/domain/testing';
import { exitOfShopInstance } from '@shop/proc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, startInstance, startRedis, stopAll } from './harness.ts';

// What an operator relies on, checked on real processes: JSON logs without secrets, a drain on
// SIGTERM that lets in-flight work finish, and start-up refusing a bad variable by name.
let db: TestDatabase;
const SECRET = 'operations-test-secret-0123456789abcdefghij';
const locks: pg.Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  for (const client of locks) await client.end().catch(() => {});
  await stopAll();
  await db?.drop();
});

/** Signs up through HTTP with a known password; returns the session cookie (name=value). */
async function signUp(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/trpc/auth.register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'Op Test' }),
  });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
}

const placeOrder = (base: string, cookie: string, requestId: string) =>
  fetch(`${base}/trpc/checkout.placeOrder`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-request-id': requestId },
    body: JSON.stringify({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS }),
  });

describe('logs', () => {
  it('are one JSON object per line, carry the request id, and hold no password, cookie or address', async () => {
    const instance = await startInstance(
      'logs',
      { DATABASE_URL: db.url, SESSION_SECRET: SECRET, LOG_LEVEL: 'info' },
      { captureStdout: true },
    );
    const product = await createProduct(db.orm.em.fork(), { stock: 5 });
    const email = `logs-${randomUUID().slice(0, 8)}@example.test`;
    const password = 'correct-horse-battery-staple';
    await signUp(instance.url, email, password);
    const login = await fetch(`${instance.url}/trpc/auth.login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'login-req-1' },
      body: JSON.stringify({ email, password }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('login-req-1');
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const cookieValue = cookie.split('=')[1] ?? '';
    expect(cookieValue.length).toBeGreaterThan(20);
    await clients(instance.url, cookie).http.cart.add.mutate({ productId: product });
    expect((await placeOrder(instance.url, cookie, 'checkout-req-1')).status).toBe(200);
    await instance.stop('SIGTERM');

    const lines = instance.stdout().trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.find((e) => e.reqId === 'checkout-req-1')).toMatchObject({
      level: 'info',
      instance: 'logs',
      method: 'POST',
      procedure: 'checkout.placeOrder',
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(entries.find((e) => e.reqId === 'login-req-1')).toMatchObject({ procedure: 'auth.login', status: 200 });
    // Logged last, just before exit: the buffered asynchronous log was flushed on the way out.
    expect(entries.at(-1)).toMatchObject({ level: 'info', msg: 'stopped' });
    const log = lines.join('\n');
    for (const secret of [password, cookieValue, ADDRESS.line1, ADDRESS.postalCode, email]) expect(log).not.toContain(secret);
  }, 90_000);
});

describe('/ready with REDIS_URL', () => {
  it('answers 503 naming Redis while it is down, and 200 once it is back', async () => {
    const redis = await startRedis();
    const instance = await startInstance('ready-redis', {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SESSION_SECRET: SECRET,
      LOG_LEVEL: 'silent',
    });
    expect(await (await fetch(`${instance.url}/ready`)).json()).toMatchObject({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok' },
    });
    await redis.stop();
    await expect.poll(async () => (await fetch(`${instance.url}/ready`)).status).toBe(503);
    expect(await (await fetch(`${instance.url}/ready`)).json()).toMatchObject({
      status: 'unavailable',
      checks: { postgres: 'ok', redis: 'down' },
    });
    // Alive all the while: only readiness depends on Redis.
    expect((await fetch(`${instance.url}/health`)).status).toBe(200);
    await redis.start();
    await expect.poll(async () => (await fetch(`${instance.url}/ready`)).status, { timeout: 15_000 }).toBe(200);
    await instance.stop('SIGTERM');
  }, 90_000);
});

describe('SIGTERM', () => {
  it('turns /ready to 503, lets a checkout in flight finish, then exits 0', async () => {
    const instance = await startInstance('drain', { DATABASE_URL: db.url, SESSION_SECRET: SECRET, LOG_LEVEL: 'silent' });
    const product = await createProduct(db.orm.em.fork(), { stock: 5 });
    const cookie = await signUp(instance.url, `drain-${randomUUID().slice(0, 8)}@example.test`, 'drain-password-123');
    await clients(instance.url, cookie).http.cart.add.mutate({ productId: product });

    // Another session holds the product row, so the checkout waits for its lock.
    const lock = new pg.Client({ connectionString: db.url });
    locks.push(lock);
    await lock.connect();
    await lock.query('begin');
    await lock.query('select id from products where id = $1 for update', [product]);
    const checkout = placeOrder(instance.url, cookie, 'drain-checkout');
    await expect
      .poll(
        async () =>
          (
            await lock.query(
              `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
            )
          ).rows[0].n,
      )
      .toBe(1);

    const child = instance.process;
    if (!child) throw new Error('the instance has no process');
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    child.kill('SIGTERM');
    await expect.poll(async () => (await fetch(`${instance.url}/ready`)).status).toBe(503);
    const ready = await fetch(`${instance.url}/ready`);
    expect(await ready.json()).toMatchObject({ status: 'draining' });
    expect(child.exitCode).toBeNull();

    await lock.query('commit');
    const res = await checkout;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { data: { status: string } } }).result.data.status).toBeTruthy();
    const [code] = await exited;
    expect(code).toBe(0);
  }, 90_000);
});

describe('configuration', () => {
  it('refuses to start with a bad variable, naming it on stderr, with a non-zero exit', async () => {
    const { code, stderr } = await exitOfShopInstance('bad-variables', { PORT: 'eighty', DB_POOL_MAX: '0', DATABASE_URL: db.url });
    expect(code).toBe(78);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('DB_POOL_MAX');
  }, 90_000);
});

describe('first start in production', () => {
  it('seeds the catalog it is asked for and no account: the demo staff password is public', async () => {
    const fresh = await createTestDatabase(inject('pgAdminUrl'));
    try {
      const instance = await startInstance('production-seed', {
        NODE_ENV: 'production',
        DATABASE_URL: fresh.url,
        SESSION_SECRET: SECRET,
        SEED_PRODUCTS: '5',
        LOG_LEVEL: 'silent',
      });
      await instance.stop('SIGTERM');
      const count = async (table: string) =>
        (await fresh.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`))[0]?.n;
      expect(await count('products')).toBe(5);
      expect(await count('users')).toBe(0);
    } finally {
      await fresh.drop();
    }
  }, 90_000);
});
