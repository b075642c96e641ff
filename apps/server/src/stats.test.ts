import type { AddressInfo } from 'node:net';
import type { ContextDeps } from '@shop/api';
import { testDeps } from '@shop/api/testing';
import { type Bus, createRedisBus } from '@shop/bus';
import { createOrm, type Orm } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type RedisServer, sleep, startRedis } from '@shop/proc';
import type { StaffStats } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, register } from '../test/harness.ts';
import { type App, createApp } from './app.ts';

// Two instances in this process, each with its own database pool, bus and live registry, sharing
// only what production instances share: PostgreSQL and one Redis.
interface Instance {
  app: App;
  orm: Orm;
  bus: Bus;
  deps: ContextDeps;
  base: string;
}
let db: TestDatabase;
let redis: RedisServer;
let a: Instance;
let b: Instance;
let staffCookie: string;
const open: { close(): void }[] = [];

async function startInstance(name: string): Promise<Instance> {
  const orm = await createOrm({ url: db.url, poolMax: 4 });
  const bus = createRedisBus({ redis: { url: redis.url } });
  const deps = testDeps(orm, { bus });
  // Sockets counted every 100 ms instead of every second, so the test waits less.
  const app = createApp({ deps, instanceName: name, presence: { tickMs: 100, heartbeatMs: 5_000 } });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  return { app, orm, bus, deps, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const stopped = new Set<Instance>();
async function stopInstance(instance: Instance): Promise<void> {
  if (stopped.has(instance)) return;
  stopped.add(instance);
  await instance.app.close(100);
  instance.deps.live.stop();
  await instance.bus.close();
  await instance.orm.close(true);
}

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** A staff dashboard's subscription on `base`: every update with when it arrived. */
async function dashboard(base: string) {
  const client = clients(base, staffCookie);
  open.push(client.socket);
  const got: { stats: StaffStats; atMs: number }[] = [];
  client.live.admin.stats.onUpdate.subscribe(undefined, { onData: (stats) => got.push({ stats, atMs: performance.now() }) });
  await until(() => got[0], 'the first figures');
  return { got, latest: () => got.at(-1)?.stats as StaffStats, close: () => client.socket.close() };
}

/** A shopper on `base` who can buy the product, one order at a time. */
async function shopper(base: string, name: string) {
  const { http, socket } = clients(base, await register(base, name));
  socket.close();
  return async (productId: number) => {
    await http.cart.add.mutate({ productId });
    return http.checkout.placeOrder.mutate({
      idempotencyKey: crypto.randomUUID(),
      shippingAddress: { name, line1: '1 Road', city: 'Town', postalCode: '12345', country: 'DE' },
    });
  };
}

async function product(priceCents: number, stock = 1_000): Promise<number> {
  const conn = db.orm.em.getConnection();
  await conn.execute(`insert into categories (slug, name) values ('stats', 'Stats') on conflict do nothing`);
  const [row] = await conn.execute<{ id: number }[]>(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     values (?, 'Stats thing', 'x', ?, ?, (select id from categories where slug = 'stats'), '/x.svg') returning id`,
    [`stats-${crypto.randomUUID()}`, priceCents, stock],
  );
  return row?.id ?? 0;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  [a, b] = await Promise.all([startInstance('a'), startInstance('b')]);
  staffCookie = await register(a.base, 'staff');
  await db.orm.em.getConnection().execute(`update users set role = 'staff' where name = 'staff'`);
}, 60_000);
afterAll(async () => {
  for (const socket of open) socket.close();
  for (const instance of [a, b]) if (instance) await stopInstance(instance);
  await redis?.stop();
  await db?.drop();
});

describe('admin.stats.onUpdate across two instances', () => {
  it('shows staff on instance A an order placed through instance B: one more order, its total in the revenue', async () => {
    const view = await dashboard(a.base);
    const before = view.latest();
    const buy = await shopper(b.base, 'buyer');
    const placed = await buy(await product(1_234));
    const after = await until(
      () => view.got.find((g) => g.stats.ordersToday === before.ordersToday + 1)?.stats,
      'the order on the dashboard',
    );
    expect(after.revenueTodayCents).toBe(before.revenueTodayCents + placed.totalCents);
    expect(after.ordersPerMinute.reduce((n, m) => n + m.count, 0)).toBe(before.ordersPerMinute.reduce((n, m) => n + m.count, 0) + 1);
    view.close();
  });

  it('sends at most one update a second under a burst of orders on both instances, the last with all of them', async () => {
    const view = await dashboard(a.base);
    const before = view.latest();
    const item = await product(500);
    const buyers = await Promise.all([shopper(a.base, 'burst-a'), shopper(b.base, 'burst-b'), shopper(b.base, 'burst-c')]);
    const started = performance.now();
    await Promise.all(
      buyers.map(async (buy) => {
        for (let i = 0; i < 6; i++) await buy(item);
      }),
    );
    const burstMs = performance.now() - started;
    await until(() => (view.latest().ordersToday === before.ordersToday + 18 ? true : undefined), 'all 18 orders on the dashboard');
    const updates = view.got.slice(1);
    for (let i = 1; i < updates.length; i++) {
      // One load a second on the server; what arrives may differ by the reads' own durations.
      expect((updates[i]?.atMs ?? 0) - (updates[i - 1]?.atMs ?? 0)).toBeGreaterThan(900);
    }
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(burstMs / 1_000) + 2);
    expect(view.latest().revenueTodayCents).toBe(before.revenueTodayCents + 18 * 500);
    view.close();
  });

  it('counts the open sockets of both instances, not the dashboards, and drops them as sockets close and as an instance leaves', async () => {
    const view = await dashboard(a.base);
    const settle = (expected: number, what: string) =>
      until(() => (view.latest().shoppersOnline === expected ? true : undefined), `${what}: ${expected} online`);
    const cookie = await register(a.base, 'browsing');
    // The earlier tests' sockets are closed: only this dashboard's is open, and it is staff's.
    const baseline = 0;
    await settle(baseline, 'only the dashboard open');
    const onA = clients(a.base, cookie);
    const onB = [clients(b.base, cookie), clients(b.base, cookie)];
    open.push(onA.socket, ...onB.map((c) => c.socket));
    await settle(baseline + 3, 'one socket on A and two on B');
    onA.socket.close();
    await settle(baseline + 2, 'the socket on A closed');
    await stopInstance(b);
    await settle(baseline, 'instance B shut down');
    view.close();
  });

  it('refuses a guest (UNAUTHORIZED) and a shopper (FORBIDDEN)', async () => {
    const refusal = async (cookie: string) => {
      const client = clients(a.base, cookie);
      open.push(client.socket);
      return new Promise<string | undefined>((resolve) => {
        client.live.admin.stats.onUpdate.subscribe(undefined, { onError: (e) => resolve(e.data?.code), onData: () => resolve('data') });
      });
    };
    expect(await refusal('')).toBe('UNAUTHORIZED');
    expect(await refusal(await register(a.base, 'nosy'))).toBe('FORBIDDEN');
  });
});
