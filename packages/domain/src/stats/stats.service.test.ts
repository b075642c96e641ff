import { createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { LOW_STOCK_LIMIT, STATS_MINUTES, type StaffStats } from '@shop/schemas';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { adjustStock } from '../admin/admin.service.ts';
import { placeOrder } from '../checkout/checkout.service.ts';
import type { SessionUser } from '../context.ts';
import { createLiveRegistry } from '../live/registry.ts';
import { changeStatus } from '../orders/orders.service.ts';
import { sql } from '../sql.ts';
import { ADDRESS, authedContext, createProduct, createTestUser, fillCart, outcome, testMfaSettings } from '../testing/index.ts';
import { removeSockets, reportSockets } from './presence.ts';
import { streamStaffStats } from './stats.service.ts';
import { readStaffStats } from './stats-query.ts';

let db: TestDatabase;
let staff: SessionUser;
let shopper: SessionUser;
const live = createLiveRegistry(createMemoryBus());
const as = (user: SessionUser, options: Parameters<typeof authedContext>[2] = {}) => authedContext(db.orm, user, { live, ...options });
const read = () => readStaffStats(db.orm.em.getConnection());

/** Places an order of `quantity` × product for the shopper; returns its id. */
async function order(productId: number, quantity = 1): Promise<string> {
  await fillCart(db.orm.em.fork(), shopper.id, [[productId, quantity]]);
  return (await placeOrder(as(shopper), { idempotencyKey: crypto.randomUUID(), shippingAddress: ADDRESS })).id;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  const em = db.orm.em.fork();
  staff = await createTestUser(em, 'staff');
  shopper = await createTestUser(em, 'shopper');
});
afterAll(async () => {
  live.stop();
  await live.bus.close();
  await db?.drop();
});

describe('the staff figures', () => {
  beforeEach(async () => {
    for (const table of ['order_events', 'order_lines', 'orders', 'cart_items', 'products', 'socket_presence']) {
      await sql(db.orm.em, `delete from ${table}`);
    }
  });

  it("count today's orders and revenue, not cancelled ones nor yesterday's, in the minute they were placed", async () => {
    const product = await createProduct(db.orm.em.fork(), { stock: 100, priceCents: 1_250 });
    await order(product, 2);
    const cancelled = await order(product, 1);
    await changeStatus(as(staff), cancelled, 'cancelled');
    const yesterday = await order(product, 3);
    // A minute before today began, or, in the first hour of a UTC day, before the per-minute window too.
    await sql(
      db.orm.em,
      `update orders set created_at = least(date_trunc('day', now(), 'UTC'), date_trunc('minute', now()) - interval '${STATS_MINUTES} minutes') - interval '1 minute' where id = ?`,
      [yesterday],
    );

    const stats = await read();
    expect(stats).toMatchObject({ ordersToday: 1, revenueTodayCents: 2_500 });
    expect(stats.ordersPerMinute).toHaveLength(STATS_MINUTES);
    const minutes = stats.ordersPerMinute.map((m) => Date.parse(m.minute));
    expect(minutes.every((m, i) => i === 0 || m - (minutes[i - 1] ?? 0) === 60_000)).toBe(true);
    const now = Date.parse(stats.at);
    expect(now - (minutes.at(-1) ?? 0)).toBeLessThan(60_000);
    // The one order not cancelled, in the current minute (or the one before, placed a moment ago).
    expect(stats.ordersPerMinute.reduce((sum, m) => sum + m.count, 0)).toBe(1);
    expect((stats.ordersPerMinute.at(-1)?.count ?? 0) + (stats.ordersPerMinute.at(-2)?.count ?? 0)).toBe(1);
  });

  it('list low stock as the triggers keep it: new, sold down, restocked; lowest first, at most the limit', async () => {
    const em = db.orm.em.fork();
    const soldOut = await createProduct(em, { stock: 0, name: 'Sold Out Stool' });
    const plenty = await createProduct(em, { stock: 7, name: 'Plenty Lamp' });
    expect((await read()).lowStock).toEqual([{ productId: soldOut, variantId: null, name: 'Sold Out Stool', stock: 0 }]);

    await order(plenty, 3); // 7 → 4: now low
    await adjustStock(as(staff), { productId: soldOut, delta: 20 }); // restocked: no longer low
    expect((await read()).lowStock).toEqual([{ productId: plenty, variantId: null, name: 'Plenty Lamp', stock: 4 }]);

    const many = [];
    for (let i = 0; i < LOW_STOCK_LIMIT + 2; i++) many.push(await createProduct(em, { stock: i % 3 }));
    const low = (await read()).lowStock;
    expect(low).toHaveLength(LOW_STOCK_LIMIT);
    expect(low.map((l) => l.stock)).toEqual([...low.map((l) => l.stock)].sort((a, b) => a - b));
    expect(low[0]?.stock).toBe(0);
  });

  it('count the sockets of instances whose heartbeat has not expired, and none of one that left', async () => {
    const db0 = db.orm.em.getConnection();
    await reportSockets(db0, { instance: crypto.randomUUID(), name: 'a', sockets: 3, ttlMs: 60_000 });
    const b = crypto.randomUUID();
    await reportSockets(db0, { instance: b, name: 'b', sockets: 4, ttlMs: 60_000 });
    await reportSockets(db0, { instance: crypto.randomUUID(), name: 'crashed', sockets: 50, ttlMs: -1 });
    expect((await read()).shoppersOnline).toBe(7);
    await removeSockets(db0, b);
    expect((await read()).shoppersOnline).toBe(3);
  });
});

describe('admin stats stream', () => {
  it('gives staff the figures at once, then the next order within about a second', async () => {
    const product = await createProduct(db.orm.em.fork(), { stock: 50, priceCents: 990 });
    const controller = new AbortController();
    const stream = streamStaffStats(as(staff), controller.signal);
    const first = (await stream.next()).value as StaffStats;
    const next = stream.next();
    await order(product, 1);
    const started = performance.now();
    const second = (await next).value as StaffStats;
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(second.ordersToday).toBe(first.ordersToday + 1);
    expect(second.revenueTodayCents).toBe(first.revenueTodayCents + 990);
    await stream.return(undefined);
  });

  it('refuses shoppers, and staff without the second factor where it is required', async () => {
    expect(await outcome(Promise.resolve().then(() => streamStaffStats(as(shopper), undefined)))).toMatchObject({
      ok: false,
      kind: 'FORBIDDEN',
    });
    const required = as(staff, { mfa: testMfaSettings({ requiredForStaff: true }) });
    expect(await outcome(Promise.resolve().then(() => streamStaffStats(required, undefined)))).toMatchObject({
      ok: false,
      kind: 'FORBIDDEN',
    });
  });
});
