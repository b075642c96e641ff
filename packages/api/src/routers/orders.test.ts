import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { createProduct } from '@shop/domain/testing';
import type { Order } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';

let db: TestDatabase;
const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

/** A browser signed in as a newly registered shopper. */
async function shopper() {
  const api = browserCaller(testDeps(db.orm), new CookieJar());
  const user = await api.auth.register({
    email: `orders-${randomUUID().slice(0, 8)}@example.test`,
    password: 'long enough pw',
    name: 'Shopper',
  });
  return { api, user };
}
type Shopper = Awaited<ReturnType<typeof shopper>>;

const makeProduct = (stock: number): Promise<number> =>
  createProduct(db.orm.em.fork(), { stock, priceCents: 500, name: 'Orders Test Product' });

/** Puts `quantity` of `product` in the shopper's cart (carts are another feature's) and checks out. */
async function order({ api, user }: Shopper, product: number, quantity = 1): Promise<Order> {
  const [cart] = await sql<{ id: string }>(
    'insert into carts (user_id) values (?) on conflict (user_id) do update set updated_at = now() returning id',
    [user.id],
  );
  if (!cart) throw new Error('cart insert returned nothing');
  await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, ?)', [cart.id, product, quantity]);
  return api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
}

const stockOf = async (id: number) => (await sql<{ stock: number }>('select stock from products where id = ?', [id]))[0]?.stock;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('orders for a guest', () => {
  it('list, byId and cancel are UNAUTHORIZED', async () => {
    const guest = browserCaller(testDeps(db.orm));
    expect((await errorOf(guest.orders.list())).code).toBe('UNAUTHORIZED');
    expect((await errorOf(guest.orders.byId({ id: randomUUID() }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(guest.orders.cancel({ id: randomUUID() }))).code).toBe('UNAUTHORIZED');
  });
});

describe('orders.list', () => {
  let alice: Shopper;
  let bob: Shopper;
  const aliceOrders: Order[] = [];
  beforeAll(async () => {
    [alice, bob] = [await shopper(), await shopper()];
    const product = await makeProduct(100);
    for (let i = 0; i < 7; i++) {
      aliceOrders.push(await order(alice, product));
      await order(bob, product);
    }
  });

  it('pages through the caller’s orders newest first, without gaps, repeats or anyone else’s', async () => {
    const seen: Order[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await alice.api.orders.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      expect(result.items.length).toBeLessThanOrEqual(3);
      seen.push(...result.items);
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen.map((o) => o.id)).toEqual([...aliceOrders].reverse().map((o) => o.id));
    expect(seen[0]).toEqual(aliceOrders.at(-1));
  });

  it('works without input, defaulting to 20', async () => {
    const page = await bob.api.orders.list();
    expect(page.items).toHaveLength(7);
    expect(page.nextCursor).toBeNull();
    expect(page.items.some((o) => aliceOrders.some((a) => a.id === o.id))).toBe(false);
  });

  it.each([
    ['limit 0', { limit: 0 }],
    ['limit 101', { limit: 101 }],
    ['an unknown field', { status: 'placed' }],
    ['a forged cursor', { cursor: 'not-a-cursor' }],
  ])('refuses %s with BAD_REQUEST', async (_name, input) => {
    expect((await errorOf(alice.api.orders.list(input as never))).code).toBe('BAD_REQUEST');
  });
});

describe('orders.byId', () => {
  it('returns the caller’s order', async () => {
    const s = await shopper();
    const placed = await order(s, await makeProduct(3), 2);
    expect(await s.api.orders.byId({ id: placed.id })).toEqual(placed);
  });

  it('is NOT_FOUND for another shopper’s order and an unknown id; BAD_REQUEST for a malformed one', async () => {
    const placed = await order(await shopper(), await makeProduct(3));
    const stranger = await shopper();
    expect((await errorOf(stranger.api.orders.byId({ id: placed.id }))).code).toBe('NOT_FOUND');
    expect((await errorOf(stranger.api.orders.byId({ id: randomUUID() }))).code).toBe('NOT_FOUND');
    expect((await errorOf(stranger.api.orders.byId({ id: 'nope' }))).code).toBe('BAD_REQUEST');
  });
});

describe('orders.cancel', () => {
  it('cancels the caller’s placed order and returns stock; a second cancel is CONFLICT', async () => {
    const s = await shopper();
    const product = await makeProduct(5);
    const placed = await order(s, product, 3);
    expect(await stockOf(product)).toBe(2);
    expect(await s.api.orders.cancel({ id: placed.id })).toEqual({ ...placed, status: 'cancelled' });
    expect(await stockOf(product)).toBe(5);
    expect((await errorOf(s.api.orders.cancel({ id: placed.id }))).code).toBe('CONFLICT');
    expect(await stockOf(product)).toBe(5);
    expect((await s.api.orders.byId({ id: placed.id })).status).toBe('cancelled');
  });

  it('is NOT_FOUND for another shopper’s order, which stays as it was', async () => {
    const owner = await shopper();
    const product = await makeProduct(5);
    const placed = await order(owner, product, 2);
    const stranger = await shopper();
    expect((await errorOf(stranger.api.orders.cancel({ id: placed.id }))).code).toBe('NOT_FOUND');
    expect((await owner.api.orders.byId({ id: placed.id })).status).toBe('placed');
    expect(await stockOf(product)).toBe(3);
  });

  it('is CONFLICT once staff have shipped the order', async () => {
    const s = await shopper();
    const placed = await order(s, await makeProduct(5));
    await sql(`update orders set status = 'shipped' where id = ?`, [placed.id]);
    expect((await errorOf(s.api.orders.cancel({ id: placed.id }))).code).toBe('CONFLICT');
  });
});
