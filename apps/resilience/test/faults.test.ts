// C. Faults, on the production shape: Nginx, three instances, and a PostgreSQL and a Redis of this
// file's own so they can be stopped. Every scenario counts requests, failures, and lost or
// duplicated orders and messages; any loss fails it.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { Cluster } from '@shop/nginx';
import { sleep } from '@shop/proc';
import type { ProductSummary } from '@shop/schemas';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { shopCluster, UNTHROTTLED } from '../src/cluster.ts';
import { settings } from '../src/config.ts';
import { DEMO, mutate, query, raw, register, resent, signIn } from '../src/http.ts';
import { browse, type Checkout, cartWork, chatter, deliveryProblems, newTally, type Subscriber, shop, subscribe } from '../src/load.ts';
import { type PostgresServer, type Service, startPostgres, startRedis, stopAll } from '../src/processes.ts';
import { record } from '../src/summary.ts';

let postgres: PostgresServer;
let redis: Service;
let db: TestDatabase;
let cluster: Cluster;
let base: string;
let productIds: number[] = [];
let slugs: string[] = [];
const subscribers: Subscriber[] = [];

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Runs `work` for `ms`, calling `fault` at the given moments; resolves when the work is done. */
async function during(ms: number, work: (until: () => boolean) => Promise<unknown>[], faults: [number, () => Promise<void>][]) {
  const end = Date.now() + ms;
  const until = () => Date.now() > end;
  const running = work(until);
  const started = Date.now();
  for (const [at, fault] of faults) {
    await sleep(Math.max(0, started + at - Date.now()));
    await fault();
  }
  await Promise.all(running);
}

async function users(n: number, name: string) {
  return Promise.all(Array.from({ length: n }, (_, i) => register(base, `${name}${i}`)));
}

/**
 * Half the subscribers straight on each instance (the one on the killed instance reconnects to it
 * when it is back and must resume after its last event id), half through Nginx.
 */
async function subscribeEverywhere(cookies: string[]): Promise<Subscriber[]> {
  const subs = await Promise.all(
    cookies.map((cookie, i) => subscribe(i % 2 === 0 ? (cluster.instances[(i / 2) % 3]?.url ?? base) : base, cookie, 'lobby')),
  );
  subscribers.push(...subs);
  return subs;
}

beforeAll(async () => {
  postgres = await startPostgres();
  db = await createTestDatabase(postgres.url);
  redis = await startRedis();
  cluster = await shopCluster({ databaseUrl: db.url, redisUrl: redis.url, seedProducts: 40, rateLimits: UNTHROTTLED });
  base = cluster.url;
  // Plenty of stock, so the load scenarios' checkouts succeed.
  await sql('update product_variants set stock = 100000');
  const list = await query(base, 'catalog.list', { limit: 40 });
  const items = (list.data as { items: ProductSummary[] }).items;
  // The shoppers' cart calls name no variant: products with one.
  const single = new Set(
    (await sql<{ id: number }>('select product_id as id from product_variants group by product_id having count(*) = 1')).map((r) => r.id),
  );
  productIds = items.filter((p) => single.has(p.id)).map((p) => p.id);
  slugs = items.map((p) => p.slug);
});
afterAll(async () => {
  for (const s of subscribers) s.close();
  await cluster?.stop();
  await db?.drop().catch(() => {});
  await stopAll();
  await postgres?.remove();
});

describe('faults', () => {
  it(`sells ${10} units exactly once to ${settings.oversellBuyers} concurrent buyers spread over three instances`, async () => {
    const staff = await signIn(base, DEMO.staff.email, DEMO.staff.password);
    const created = await mutate(
      base,
      'admin.product.upsert',
      { slug: 'last-ten', name: 'Last Ten', description: 'Scarce.', priceCents: 999, categorySlug: 'office', stock: 10 },
      staff,
    );
    expect(created.status, JSON.stringify(created.data)).toBe(200);
    const productId = (created.data as { id: number }).id;
    const buyers = await users(settings.oversellBuyers, 'buyer');
    for (const b of buyers) expect((await mutate(base, 'cart.add', { productId }, b.cookie)).status).toBe(200);
    const shippingAddress = { name: 'Buyer', line1: '1 Rush St', city: 'Paris', postalCode: '75001', country: 'FR' };
    // Straight to the instances, in turn, so all three take part at once.
    const replies = await Promise.all(
      buyers.map((b, i) =>
        mutate(
          cluster.instances[i % 3]?.url ?? base,
          'checkout.placeOrder',
          { idempotencyKey: crypto.randomUUID(), shippingAddress },
          b.cookie,
          60_000,
        ),
      ),
    );
    const codes = replies.map((r) => r.code ?? 'OK');
    const sold = codes.filter((c) => c === 'OK').length;
    const [row] = await sql<{ stock: number; orders: number; units: number }>(
      `select p.stock, (select count(distinct order_id)::int from order_lines where product_id = p.id) as orders,
              (select coalesce(sum(quantity), 0)::int from order_lines where product_id = p.id) as units
         from products p where p.id = $1`,
      [productId],
    );
    const unexpected = codes.filter((c) => c !== 'OK' && c !== 'CONFLICT');
    record(inject('summaryFile'), {
      scenario: 'oversell: last 10 units',
      load: `${buyers.length} concurrent checkouts over 3 instances`,
      faults: 'contention',
      requests: replies.length,
      failures: unexpected.length,
      lostOrDuplicated: Math.abs((row?.units ?? 0) - 10) + Math.abs(sold - 10),
    });
    expect(unexpected).toEqual([]);
    expect(sold).toBe(10);
    expect(row).toEqual({ stock: 0, orders: 10, units: 10 });
  });

  it('loses nothing when an instance is SIGKILLed under mixed load', async () => {
    const tally = newTally();
    const resentBefore = resent.count;
    const shoppers = await users(4, 'killshopper');
    const talkers = await users(3, 'killtalker');
    const listeners = await users(6, 'killlistener');
    const subs = await subscribeEverywhere(listeners.map((l) => l.cookie));
    const checkouts: Checkout[] = [];
    const sent: number[] = [];
    const ms = settings.killLoadMs;
    await during(
      ms,
      (until) => [
        ...[0, 1, 2].map(() => browse(base, tally, until, slugs)),
        ...shoppers.map((s) => shop(base, s.cookie, s.id, productIds, tally, until, checkouts)),
        ...talkers.map((t, i) => chatter(base, t.cookie, `talker${i}`, tally, until, sent)),
      ],
      [
        [ms / 3, () => cluster.kill(1, 'SIGKILL')],
        [(2 * ms) / 3, () => cluster.start(1)],
      ],
    );

    // Every key the client holds an order for has exactly that one order; refused keys have none.
    const rows = await sql<{ key: string; ids: string[] }>(
      `select idempotency_key as key, array_agg(id::text) as ids from orders where user_id = any($1::uuid[]) group by idempotency_key`,
      [shoppers.map((s) => s.id)],
    );
    const byKey = new Map(rows.map((r) => [r.key, r.ids]));
    let lost = 0;
    let duplicated = 0;
    for (const c of checkouts) {
      const ids = byKey.get(c.key) ?? [];
      if (c.orderId) {
        if (!ids.includes(c.orderId)) lost++;
        duplicated += Math.max(0, ids.length - 1);
      } else duplicated += ids.length; // an order the client was told did not happen
    }
    duplicated += rows.filter((r) => !checkouts.some((c) => c.key === r.key)).length;
    const delivery = await deliveryProblems(subs, sent);
    record(inject('summaryFile'), {
      scenario: 'SIGKILL one instance under mixed load',
      load: `${ms / 1000} s: 3 browsers, ${shoppers.length} shoppers, ${talkers.length} talkers, ${subs.length} subscribers`,
      faults: 'SIGKILL i2, restart',
      requests: tally.requests,
      failures: tally.failures.length,
      lostOrDuplicated: lost + duplicated + delivery.missing + delivery.repeated,
    });
    console.log(
      `[kill] ${checkouts.length} checkouts, ${sent.length} messages, ${tally.retried} retried attempts, ` +
        `${resent.count - resentBefore} re-sent after Nginx closed a kept-alive socket (its reload on the restart)`,
    );
    expect(tally.failures).toEqual([]);
    expect(checkouts.filter((c) => c.orderId).length).toBeGreaterThan(0);
    expect({ lost, duplicated }).toEqual({ lost: 0, duplicated: 0 });
    expect(sent.length).toBeGreaterThan(0);
    expect(delivery).toEqual({ missing: 0, repeated: 0 });
  });

  it('loses no chat message when Redis restarts, while catalog and cart keep working', async () => {
    const tally = newTally();
    const chatTally = newTally();
    const carts = await users(3, 'rediscart');
    const talkers = await users(3, 'redistalker');
    const listeners = await users(6, 'redislistener');
    const subs = await subscribeEverywhere(listeners.map((l) => l.cookie));
    const sent: number[] = [];
    const ms = settings.redisLoadMs;
    await during(
      ms,
      (until) => [
        ...[0, 1].map(() => browse(base, tally, until, slugs)),
        ...carts.map((c) => cartWork(base, c.cookie, productIds, tally, until)),
        ...talkers.map((t, i) => chatter(base, t.cookie, `redis-talker${i}`, chatTally, until, sent)),
      ],
      [
        [ms / 4, () => redis.stop()],
        [ms / 2, () => redis.start()],
      ],
    );
    const delivery = await deliveryProblems(subs, sent);
    record(inject('summaryFile'), {
      scenario: 'Redis restart under chat load',
      load: `${ms / 1000} s: 2 browsers, ${carts.length} carts, ${talkers.length} talkers, ${subs.length} subscribers`,
      faults: `Redis killed for ${ms / 4000} s`,
      requests: tally.requests + chatTally.requests,
      failures: tally.failures.length + chatTally.failures.length,
      lostOrDuplicated: delivery.missing + delivery.repeated,
    });
    console.log(`[redis] ${sent.length} messages, ${chatTally.retried} chat attempts retried`);
    expect(tally.failures).toEqual([]);
    expect(chatTally.failures).toEqual([]);
    expect(sent.length).toBeGreaterThan(0);
    expect(delivery).toEqual({ missing: 0, repeated: 0 });
  });

  it('fails fast with a clear error while PostgreSQL is down, then recovers by itself', async () => {
    const user = await register(base, 'pguser');
    expect((await mutate(base, 'cart.add', { productId: productIds[0] }, user.cookie)).status).toBe(200);
    await postgres.stop();
    const outage: { status: number; code: string | null; message: string }[] = [];
    const end = Date.now() + settings.postgresOutageMs;
    try {
      while (Date.now() < end) {
        // A bound, not a speed check: a request that hangs past it fails the scenario.
        for (const reply of await Promise.all([
          query(base, 'cart.get', undefined, user.cookie, 20_000),
          mutate(base, 'cart.add', { productId: productIds[1] }, user.cookie, 20_000),
          query(base, 'orders.list', undefined, user.cookie, 20_000),
        ])) {
          outage.push({ status: reply.status, code: reply.code, message: reply.message });
        }
        await sleep(200);
      }
    } finally {
      await postgres.start();
    }
    // Recovers without restarting anything: every instance ready again, and requests succeed.
    const recovered = Date.now() + 60_000;
    let healthy = false;
    while (!healthy && Date.now() < recovered) {
      const ready = await Promise.all(
        cluster.instances.map((i) =>
          raw(i.url, { method: 'GET', path: '/ready' })
            .then((r) => r.status)
            .catch(() => 0),
        ),
      );
      const cart = await query(base, 'cart.get', undefined, user.cookie).catch(() => null);
      healthy = ready.every((s) => s === 200) && cart?.status === 200;
      if (!healthy) await sleep(500);
    }
    const after = await mutate(base, 'cart.add', { productId: productIds[1] }, user.cookie);
    // One item added before the outage and one after; every add during it was refused (below).
    const items = ((await query(base, 'cart.get', undefined, user.cookie)).data as { itemCount?: number } | undefined)?.itemCount ?? 0;
    // Clear: tRPC's error shape with a message, not a proxy's page or an empty answer.
    const unclear = outage.filter((o) => o.code === null || o.code.startsWith('HTTP_') || o.message === '');
    record(inject('summaryFile'), {
      scenario: 'PostgreSQL restart',
      load: 'one shopper, 3 requests at a time',
      faults: `PostgreSQL down ${settings.postgresOutageMs / 1000} s`,
      requests: outage.length + 1,
      failures: (healthy ? 0 : 1) + unclear.length,
      lostOrDuplicated: Math.abs(items - 2),
    });
    console.log(`[postgres] during the outage: ${[...new Set(outage.map((o) => `${o.status} ${o.code} "${o.message}"`))].join('; ')}`);
    expect(outage.length).toBeGreaterThan(0);
    // Refused, not served from nowhere: a retryable 503 SERVICE_UNAVAILABLE in tRPC's error shape,
    // never a 500 quoting the database's address.
    for (const o of outage) {
      expect(o.status).toBe(503);
      expect(o.code).toBe('SERVICE_UNAVAILABLE');
      expect(o.message).not.toMatch(/\d+\.\d+\.\d+\.\d+|ECONN/);
    }
    expect(unclear).toEqual([]);
    expect(healthy).toBe(true);
    expect(after.status).toBe(200);
    expect(items).toBe(2);
  });
});
