import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { createProduct } from '@shop/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ZodError } from 'zod';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';

let db: TestDatabase;
const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'gb' };

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

/** A browser signed in as a newly registered shopper. */
async function shopper() {
  const jar = new CookieJar();
  const api = browserCaller(testDeps(db.orm), jar);
  const user = await api.auth.register({
    email: `checkout-${randomUUID().slice(0, 8)}@example.test`,
    password: 'long enough pw',
    name: 'Shopper',
  });
  return { api, user };
}

const makeProduct = (stock: number, priceCents = 1_000, name = 'Checkout Test Product'): Promise<number> =>
  createProduct(db.orm.em.fork(), { stock, priceCents, name });

/** Carts are another feature's: the test puts lines in directly. */
async function fillCart(userId: string, lines: [number, number][]): Promise<void> {
  const [cart] = await sql<{ id: string }>(
    'insert into carts (user_id) values (?) on conflict (user_id) do update set updated_at = now() returning id',
    [userId],
  );
  if (!cart) throw new Error('cart insert returned nothing');
  await sql('delete from cart_items where cart_id = ?', [cart.id]);
  for (const [productId, quantity] of lines) {
    await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, ?)', [cart.id, productId, quantity]);
  }
}

const stockOf = async (id: number) => (await sql<{ stock: number }>('select stock from products where id = ?', [id]))[0]?.stock;
const orderCount = async (userId: string) =>
  (await sql<{ n: number }>('select count(*)::int as n from orders where user_id = ?', [userId]))[0]?.n;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('checkout.placeOrder', () => {
  it('is UNAUTHORIZED for a guest', async () => {
    const guest = browserCaller(testDeps(db.orm));
    const error = await errorOf(guest.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS }));
    expect(error.code).toBe('UNAUTHORIZED');
  });

  it('places the order in the contract shape, and the same key returns it again', async () => {
    const { api, user } = await shopper();
    const product = await makeProduct(4, 2_599, 'Walnut Bowl');
    await fillCart(user.id, [[product, 3]]);
    const input = { idempotencyKey: randomUUID(), shippingAddress: { ...ADDRESS, line2: '' } };

    const order = await api.checkout.placeOrder(input);
    expect(order).toEqual({
      id: expect.any(String),
      number: expect.any(Number),
      status: 'placed',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      lines: [
        {
          productId: product,
          variantId: expect.any(Number),
          sku: expect.any(String),
          options: {},
          name: 'Walnut Bowl',
          unitPriceCents: 2_599,
          quantity: 3,
          lineTotalCents: 7_797,
        },
      ],
      code: null,
      subtotalCents: 7_797,
      discountCents: 0,
      totalCents: 7_797,
      currency: 'EUR',
      // As the schema normalized it: country upper-cased, an empty line2 dropped.
      shippingAddress: { ...ADDRESS, country: 'GB' },
    });
    expect(Object.keys(order).sort()).toEqual([
      'code',
      'createdAt',
      'currency',
      'discountCents',
      'id',
      'lines',
      'number',
      'shippingAddress',
      'status',
      'subtotalCents',
      'totalCents',
    ]);
    expect(await stockOf(product)).toBe(1);

    expect(await api.checkout.placeOrder(input)).toEqual(order);
    expect(await stockOf(product)).toBe(1);
    expect(await orderCount(user.id)).toBe(1);
  });

  it('is BAD_REQUEST for an empty cart', async () => {
    const { api } = await shopper();
    const error = await errorOf(api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/empty/);
  });

  it('is CONFLICT naming the short lines, and nothing changes', async () => {
    const { api, user } = await shopper();
    const fine = await makeProduct(5, 100, 'Ample Rug');
    const short = await makeProduct(1, 100, 'Rare Clock');
    await fillCart(user.id, [
      [fine, 1],
      [short, 2],
    ]);
    const error = await errorOf(api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toContain('Rare Clock');
    expect(error.message).not.toContain('Ample Rug');
    expect([await stockOf(fine), await stockOf(short)]).toEqual([5, 1]);
    expect(await orderCount(user.id)).toBe(0);
    const [{ n } = { n: -1 }] = await sql<{ n: number }>(
      'select count(*)::int as n from cart_items i join carts c on c.id = i.cart_id where c.user_id = ?',
      [user.id],
    );
    expect(n).toBe(2);
  });

  it('is UNPROCESSABLE_CONTENT for the same key with a different cart or address', async () => {
    const { api, user } = await shopper();
    const product = await makeProduct(10);
    await fillCart(user.id, [[product, 1]]);
    const idempotencyKey = randomUUID();
    await api.checkout.placeOrder({ idempotencyKey, shippingAddress: ADDRESS });

    await fillCart(user.id, [[product, 2]]);
    expect((await errorOf(api.checkout.placeOrder({ idempotencyKey, shippingAddress: ADDRESS }))).code).toBe('UNPROCESSABLE_CONTENT');
    await fillCart(user.id, []);
    const elsewhere = { ...ADDRESS, city: 'Paris', country: 'FR' };
    expect((await errorOf(api.checkout.placeOrder({ idempotencyKey, shippingAddress: elsewhere }))).code).toBe('UNPROCESSABLE_CONTENT');
    expect(await stockOf(product)).toBe(9);
  });

  it('returns one order to 10 concurrent requests with one key', async () => {
    const { api, user } = await shopper();
    const product = await makeProduct(10);
    await fillCart(user.id, [[product, 2]]);
    const input = { idempotencyKey: randomUUID(), shippingAddress: ADDRESS };
    const orders = await Promise.all(Array.from({ length: 10 }, () => api.checkout.placeOrder(input)));
    expect(new Set(orders.map((o) => o.id)).size).toBe(1);
    expect(await orderCount(user.id)).toBe(1);
    expect(await stockOf(product)).toBe(8);
  });

  it.each([
    ['a key that is not a uuid', { idempotencyKey: 'abc', shippingAddress: ADDRESS }],
    ['no address', { idempotencyKey: randomUUID() }],
    ['an unknown country', { idempotencyKey: randomUUID(), shippingAddress: { ...ADDRESS, country: 'XX' } }],
    ['a blank name', { idempotencyKey: randomUUID(), shippingAddress: { ...ADDRESS, name: '   ' } }],
    ['an unknown field', { idempotencyKey: randomUUID(), shippingAddress: ADDRESS, coupon: 'FREE' }],
  ])('refuses %s with BAD_REQUEST and zod issues', async (_name, input) => {
    const { api } = await shopper();
    const error = await errorOf(api.checkout.placeOrder(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause).toBeInstanceOf(ZodError);
  });
});
