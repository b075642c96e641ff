import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { testDeps } from '@shop/api/testing';
import { createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, register } from '../test/harness.ts';
import { type App, createApp, describeError } from './app.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';

// Probes, metrics and request logs of an in-process app.
let db: TestDatabase;
let app: App;
let base: string;
const logLines: Record<string, unknown>[] = [];
let redisUp = true;
const POOL_MAX = 4;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: POOL_MAX });
  const metrics = createMetrics('ops-1', { poolMax: POOL_MAX });
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  app = createApp({
    deps: testDeps(db.orm, { bus: createMemoryBus({ onDelivery: (ms) => metrics.busDelivery(ms) }) }),
    instanceName: 'ops-1',
    metrics,
    logger: createLogger({ level: 'info', instance: 'ops-1', destination }),
    readinessChecks: { redis: async () => (redisUp ? 'PONG' : Promise.reject(new Error('down'))) },
  });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** A sample's key with its labels sorted, since prom-client orders them differently per metric type. */
function key(name: string, labels: Record<string, string> = {}): string {
  const all = Object.entries({ ...labels, instance: 'ops-1' }).sort(([x], [y]) => x.localeCompare(y));
  return `${name}{${all.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

/** Samples of /metrics by `key()`. */
async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const sample = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!sample?.[1] || sample[2] === undefined) continue;
    const labels = Object.fromEntries([...sample[2].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    samples.set(key(sample[1], labels), Number(sample[3]));
  }
  return samples;
}

describe('/ready', () => {
  it('answers 503 naming the dependency that is down, and 200 again once it answers', async () => {
    redisUp = false;
    const down = await fetch(`${base}/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', instance: 'ops-1', checks: { postgres: 'ok', redis: 'down' } });
    redisUp = true;
    const up = await fetch(`${base}/ready`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });
});

describe('/metrics', () => {
  it('counts procedure calls by outcome, chat messages, sockets, subscriptions, bus lag and the pool', async () => {
    await fetch(`${base}/trpc/catalog.categories`);
    await fetch(`${base}/trpc/catalog.categories`);
    await fetch(`${base}/trpc/catalog.list?input=${encodeURIComponent('{"limit":0}')}`);
    const cookie = await register(base, 'metrics');
    const ann = clients(base, cookie);
    try {
      const got: string[] = [];
      await new Promise<void>((resolve, reject) =>
        ann.live.chat.onMessage.subscribe(
          { roomId: 'lobby' },
          { onStarted: () => resolve(), onData: (e) => got.push(e.data.text), onError: reject },
        ),
      );
      await ann.http.chat.send.mutate({ roomId: 'lobby', text: 'counted' });
      await expect.poll(() => got).toEqual(['counted']);

      const m = await scrape();
      const calls = (procedure: string, type: string, outcome: string) => m.get(key('shop_trpc_calls_total', { procedure, type, outcome }));
      expect(calls('catalog.categories', 'query', 'ok')).toBe(2);
      expect(calls('catalog.list', 'query', 'BAD_REQUEST')).toBe(1);
      expect(calls('auth.register', 'mutation', 'ok')).toBe(1);
      expect(calls('chat.send', 'mutation', 'ok')).toBe(1);
      expect(m.get(key('shop_trpc_call_duration_seconds_count', { procedure: 'catalog.categories', type: 'query', outcome: 'ok' }))).toBe(
        2,
      );
      expect(m.get(key('shop_chat_messages_sent_total'))).toBe(1);
      expect(m.get(key('shop_websockets_open'))).toBe(1);
      expect(m.get(key('shop_subscriptions_active', { procedure: 'chat.onMessage' }))).toBe(1);
      expect(m.get(key('shop_bus_delivery_lag_seconds_count'))).toBeGreaterThanOrEqual(1);
      expect(m.get(key('shop_http_responses_total', { route: 'trpc', status: '400' }))).toBe(1);
      expect(m.get(key('shop_db_pool_connections', { state: 'idle' }))).toBeGreaterThanOrEqual(1);
      expect(m.has(key('shop_db_pool_connections', { state: 'in_use' }))).toBe(true);
      expect(m.get(key('shop_db_pool_waiting'))).toBe(0);
      expect(m.has(key('nodejs_eventloop_lag_seconds'))).toBe(true);
    } finally {
      ann.socket.close();
    }
    await expect.poll(async () => (await scrape()).get(key('shop_subscriptions_active', { procedure: 'chat.onMessage' }))).toBe(0);
    await expect.poll(async () => (await scrape()).get(key('shop_websockets_open'))).toBe(0);
  });
});

describe('/metrics of the database pool', () => {
  it('reports its limit, and every connection in use with queries waiting once it is saturated', async () => {
    expect((await scrape()).get(key('shop_db_pool_max'))).toBe(POOL_MAX);
    // One query more than the pool holds, each waiting for a lock this test holds on a connection of
    // its own: they keep their connections until the test lets go, however long the checks take.
    const lock = 7_000_001;
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [lock]);
      const queries = Array.from({ length: POOL_MAX + 1 }, () =>
        db.orm.em.getConnection().execute(`select pg_advisory_xact_lock_shared(${lock})`),
      );
      try {
        // All three from one scrape: a consistent picture of the pool at one moment.
        await expect
          .poll(async () => {
            const m = await scrape();
            return {
              inUse: m.get(key('shop_db_pool_connections', { state: 'in_use' })),
              idle: m.get(key('shop_db_pool_connections', { state: 'idle' })),
              waiting: m.get(key('shop_db_pool_waiting')),
            };
          })
          .toEqual({ inUse: POOL_MAX, idle: 0, waiting: 1 });
      } finally {
        await holder.query('select pg_advisory_unlock($1)', [lock]);
        await Promise.all(queries);
      }
    } finally {
      await holder.end();
    }
    await expect.poll(async () => (await scrape()).get(key('shop_db_pool_connections', { state: 'in_use' }))).toBe(0);
  });

  it('reports the configured limit from the start, and the counts as unknown (not 0) while the pool cannot be read', async () => {
    const metrics = createMetrics('no-pool', { poolMax: 7 });
    /** The pool's samples and their values (prom-client writes NaN as "Nan", which Prometheus reads as NaN). */
    const samples = async () =>
      (await metrics.registry.metrics())
        .split('\n')
        .filter((line) => line.startsWith('shop_db_pool'))
        .map((line) => [line.split(' ')[0], Number(line.split(' ')[1])]);
    const unknown = [
      ['shop_db_pool_connections{state="in_use",instance="no-pool"}', Number.NaN],
      ['shop_db_pool_connections{state="idle",instance="no-pool"}', Number.NaN],
      ['shop_db_pool_max{instance="no-pool"}', 7],
      ['shop_db_pool_waiting{instance="no-pool"}', Number.NaN],
    ];
    expect(await samples()).toEqual(unknown);
    metrics.watch({ webSockets: () => 0, pool: () => Promise.reject(new Error('Cannot use a pool after calling end on the pool')) });
    expect(await samples()).toEqual(unknown);
  });
});

describe('request ids and the request log', () => {
  it('echoes a sane X-Request-Id, replaces a malformed one, and logs one JSON line per request', async () => {
    const given = await fetch(`${base}/trpc/catalog.categories`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${base}/health`, { headers: { 'x-request-id': 'no spaces <or> "quotes"' } });
    const replaced = bad.headers.get('x-request-id');
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    const none = await fetch(`${base}/img/products/none.svg`);
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(none.headers.get('x-request-id')).not.toBe(replaced);

    await expect
      .poll(() => logLines.find((l) => l.reqId === 'abc-123'))
      .toMatchObject({
        level: 'info',
        msg: 'request',
        instance: 'ops-1',
        method: 'GET',
        path: '/trpc/catalog.categories',
        procedure: 'catalog.categories',
        status: 200,
        durationMs: expect.any(Number),
        time: expect.any(String),
      });
    // Probes are logged at debug level only, so an info log is not flooded by health checks.
    expect(logLines.some((l) => l.reqId === replaced)).toBe(false);
  });
});

describe('describeError', () => {
  it("keeps a database error's class and SQLSTATE but not its message, which quotes the values", () => {
    const dbError = Object.assign(new Error(`insert into "users" values ('ada@example.test', '12 Analytical St') - duplicate key`), {
      name: 'UniqueConstraintViolationException',
      code: '23505',
    });
    const logged = JSON.stringify(describeError(dbError));
    expect(logged).toContain('UniqueConstraintViolationException');
    expect(logged).toContain('23505');
    expect(logged).not.toContain('ada@example.test');
    expect(logged).not.toContain('Analytical');
    expect(describeError(new TypeError('x is not a function'))).toMatchObject({ type: 'TypeError', message: 'x is not a function' });
  });
});
