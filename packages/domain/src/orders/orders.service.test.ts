import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { canTransition, ORDER_STATUSES, type Order, type OrderStatus, ordersListInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { placeOrder } from '../checkout/checkout.service.ts';
import type { SessionUser } from '../context.ts';
import { ADDRESS, createProduct, fillCart, outcome, stockOf } from '../testing/fixtures.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import { encodeOrderCursor } from './cursor.ts';
import { cancelOrder, changeStatus, getOrder, listOrders } from './orders.service.ts';
import { transition } from './status.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();
const ctxOf = (user: SessionUser) => authedContext(db.orm, user);

/** Places a real order for `user` of `quantity` of a fresh product with `stock`. */
async function orderFor(user: SessionUser, { stock = 5, quantity = 2 } = {}): Promise<{ order: Order; product: number }> {
  const product = await createProduct(em(), { stock });
  await fillCart(em(), user.id, [[product, quantity]]);
  const order = await placeOrder(ctxOf(user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
  return { order, product };
}

/**
 * `count` orders for `userId` with two lines each, straight into the tables; created_at repeats
 * every 7 orders so many orders tie on it and only the id orders them.
 */
async function insertOrders(userId: string, count: number, product: number): Promise<void> {
  const conn = em().getConnection();
  await conn.execute(
    `with o as (
       insert into orders (user_id, subtotal_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint, created_at)
       select ?, 300, 300, 'EUR', ?::jsonb, gen_random_uuid(), repeat('0', 64), timestamptz '2026-03-01 10:00:00.123456+00' + (n % 7) * interval '1 second'
       from generate_series(1, ?) n
       returning id
     )
     insert into order_lines (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
     select o.id, ?, 'listed', 'Listed', 100, q, 100 * q from o cross join (values (1), (2)) as v(q)`,
    [userId, JSON.stringify(ADDRESS), count, product],
  );
}

async function walk(user: SessionUser, limit: number): Promise<Order[]> {
  const all: Order[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await listOrders(ctxOf(user), ordersListInput.parse({ limit, ...(cursor ? { cursor } : {}) }));
    expect(result.items.length).toBeLessThanOrEqual(limit);
    all.push(...result.items);
    if (!result.nextCursor) return all;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 20 });
});
afterAll(() => db?.drop());

describe('orders.listOrders', () => {
  let owner: SessionUser;
  let other: SessionUser;
  beforeAll(async () => {
    owner = await createTestUser(em());
    other = await createTestUser(em());
    const product = await createProduct(em(), { stock: 0 });
    await insertOrders(owner.id, 30, product);
    await insertOrders(other.id, 12, product);
    await orderFor(owner);
  });

  it('walks every one of the caller’s orders newest first, without gaps or repeats, ties included', async () => {
    const orders = await walk(owner, 4);
    const ids = orders.map((o) => o.id);
    expect(ids).toHaveLength(31);
    expect(new Set(ids).size).toBe(31);
    const [{ n } = { n: 0 }] = await em()
      .getConnection()
      .execute<{ n: number }[]>('select count(*)::int as n from orders where user_id = ?', [owner.id]);
    expect(n).toBe(31);
    // The real order is the newest; the rest descend by (createdAt, id).
    expect(orders[0]?.lines).toHaveLength(1);
    const rows = await em()
      .getConnection()
      .execute<{ id: string }[]>('select id from orders where user_id = ? order by created_at desc, id desc', [owner.id]);
    expect(ids).toEqual(rows.map((r) => r.id));
  });

  it('loads each order’s own lines', async () => {
    const { items } = await listOrders(ctxOf(owner), ordersListInput.parse({ limit: 10 }));
    for (const order of items.slice(1)) {
      expect(order.lines.map((l) => l.quantity)).toEqual([1, 2]);
      expect(order.totalCents).toBe(300);
      expect(order.shippingAddress).toEqual(ADDRESS);
    }
  });

  it('never shows another user’s orders', async () => {
    const mine = await walk(other, 5);
    expect(mine).toHaveLength(12);
    const ownerIds = new Set((await walk(owner, 50)).map((o) => o.id));
    expect(mine.some((o) => ownerIds.has(o.id))).toBe(false);
  });

  it('defaults to 20 and is empty for a user without orders', async () => {
    const page = await listOrders(ctxOf(owner), ordersListInput.parse(undefined));
    expect(page.items).toHaveLength(20);
    expect(page.nextCursor).toEqual(expect.any(String));
    expect(await listOrders(ctxOf(await createTestUser(em())), ordersListInput.parse({}))).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    'garbage',
    Buffer.from('["orders","1; drop table orders","00000000-0000-0000-0000-000000000000"]').toString('base64url'),
    Buffer.from('["orders","123","not-a-uuid"]').toString('base64url'),
    Buffer.from('["newest","123",5]').toString('base64url'),
  ])('refuses the forged cursor %s with BAD_REQUEST', async (cursor) => {
    expect(await outcome(listOrders(ctxOf(owner), ordersListInput.parse({ cursor })))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
  });

  it('a well-formed cursor only narrows the caller’s own orders', async () => {
    const cursor = encodeOrderCursor({ key: '9999999999999999', id: randomUUID() });
    const page = await listOrders(ctxOf(other), ordersListInput.parse({ cursor, limit: 100 }));
    expect(page.items).toHaveLength(12);
  });
});

describe('orders.getOrder', () => {
  it('returns the caller’s order', async () => {
    const user = await createTestUser(em());
    const { order } = await orderFor(user);
    expect(await getOrder(ctxOf(user), order.id)).toEqual(order);
  });

  it('is NOT_FOUND for another user’s order and for an unknown id', async () => {
    const { order } = await orderFor(await createTestUser(em()));
    const stranger = await createTestUser(em());
    expect(await outcome(getOrder(ctxOf(stranger), order.id))).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
    expect(await outcome(getOrder(ctxOf(stranger), randomUUID()))).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
  });
});

describe('orders.cancelOrder', () => {
  it('cancels a placed order and returns its stock; a second cancel is CONFLICT', async () => {
    const user = await createTestUser(em());
    const { order, product } = await orderFor(user, { stock: 5, quantity: 2 });
    expect(await stockOf(em(), product)).toBe(3);
    const cancelled = await cancelOrder(ctxOf(user), order.id);
    expect(cancelled).toEqual({ ...order, status: 'cancelled' });
    expect(await stockOf(em(), product)).toBe(5);
    expect(await outcome(cancelOrder(ctxOf(user), order.id))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await stockOf(em(), product)).toBe(5);
  });

  it('is NOT_FOUND for another user’s order, which stays placed', async () => {
    const owner = await createTestUser(em());
    const { order, product } = await orderFor(owner);
    const stranger = await createTestUser(em());
    expect(await outcome(cancelOrder(ctxOf(stranger), order.id))).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
    expect((await getOrder(ctxOf(owner), order.id)).status).toBe('placed');
    expect(await stockOf(em(), product)).toBe(3);
  });

  it('is CONFLICT once the order has shipped', async () => {
    const user = await createTestUser(em());
    const { order, product } = await orderFor(user);
    await changeStatus(ctxOf(user), order.id, 'shipped');
    expect(await outcome(cancelOrder(ctxOf(user), order.id))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await stockOf(em(), product)).toBe(3);
  });

  it('returns stock once when cancelled many times at once', async () => {
    const user = await createTestUser(em());
    const { order, product } = await orderFor(user, { stock: 10, quantity: 4 });
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(cancelOrder(ctxOf(user), order.id))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.kind === 'CONFLICT')).toHaveLength(9);
    expect(await stockOf(em(), product)).toBe(10);
  });
});

// The table itself is tested in @shop/schemas; this checks the server's gate follows it.
describe('order status gate', () => {
  const pairs = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));

  it.each(pairs)('%s → %s', (from, to) => {
    if (canTransition(from, to)) expect(transition({ status: from }, to)).toBe(to);
    else expect(() => transition({ status: from }, to)).toThrow(expect.objectContaining({ kind: 'CONFLICT' }));
  });
});
