import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { createProduct } from '@shop/domain/testing';
import type { Order, OrderStatus } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, errorOf, signedIn as signedInAs, testDeps } from '../testing.ts';

let db: TestDatabase;
const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

const signedIn = (role: 'shopper' | 'staff') => signedInAs(db.orm, role);

let staff: Awaited<ReturnType<typeof signedIn>>;
let shopper: Awaited<ReturnType<typeof signedIn>>;

const makeProduct = (stock: number): Promise<number> =>
  createProduct(db.orm.em.fork(), { stock, priceCents: 800, name: 'Admin Test Product' });

/** A placed order of `quantity` of `product` by the shopper (the cart is filled with SQL: carts are another feature's). */
async function placeOrder(product: number, quantity = 1): Promise<Order> {
  const [cart] = await sql<{ id: string }>(
    'insert into carts (user_id) values (?) on conflict (user_id) do update set updated_at = now() returning id',
    [shopper.user.id],
  );
  if (!cart) throw new Error('cart insert returned nothing');
  await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, ?)', [cart.id, product, quantity]);
  return shopper.api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
}

const stockOf = async (id: number) => (await sql<{ stock: number }>('select stock from products where id = ?', [id]))[0]?.stock;

const upsertInput = (slug: string) => ({
  slug,
  name: 'Teak Bench',
  description: 'Outdoor bench.',
  priceCents: 15_900,
  categorySlug: 'furniture',
});

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await sql(`insert into categories (slug, name) values ('furniture', 'Furniture'), ('garden', 'Garden')`);
  [staff, shopper] = [await signedIn('staff'), await signedIn('shopper')];
});
afterAll(() => db?.drop());

describe('admin procedures for non-staff', () => {
  const calls = (api: typeof staff.api, productId: number, orderId: string) => [
    api.admin.product.upsert(upsertInput('not-allowed')),
    api.admin.product.adjustStock({ productId, delta: -1 }),
    api.admin.order.list(),
    api.admin.order.setStatus({ id: orderId, status: 'shipped' }),
    api.admin.promotion.upsert({ code: 'NOT-ALLOWED', kind: 'percent', value: 50 }),
    api.admin.promotion.list(),
  ];

  it('are FORBIDDEN for a shopper and change nothing', async () => {
    const product = await makeProduct(4);
    const placed = await placeOrder(product);
    // Every call's rejection is handled at once (awaiting them one by one would leave the later
    // ones unhandled for a moment).
    const errors = await Promise.all(calls(shopper.api, product, placed.id).map(errorOf));
    for (const error of errors) expect(error.code).toBe('FORBIDDEN');
    expect(await stockOf(product)).toBe(3);
    expect((await shopper.api.orders.byId({ id: placed.id })).status).toBe('placed');
    expect(await sql('select id from promotions')).toEqual([]);
  });

  it('are UNAUTHORIZED for a guest', async () => {
    const guest = browserCaller(testDeps(db.orm));
    const errors = await Promise.all(calls(guest, 1, randomUUID()).map(errorOf));
    for (const error of errors) expect(error.code).toBe('UNAUTHORIZED');
  });
});

describe('admin.product.upsert', () => {
  it('creates a product in the catalog’s Product shape, with the image at its slug', async () => {
    const created = await staff.api.admin.product.upsert(upsertInput('teak-bench'));
    expect(created).toEqual({
      id: expect.any(Number),
      slug: 'teak-bench',
      name: 'Teak Bench',
      description: 'Outdoor bench.',
      priceCents: 15_900,
      currency: 'EUR',
      imageUrl: '/img/products/teak-bench.svg',
      stock: 0,
      category: { slug: 'furniture', name: 'Furniture' },
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      options: [],
      variants: [{ id: expect.any(Number), sku: 'teak-bench', options: {}, priceCents: 15_900, stock: 0 }],
    });
    // (createdAt is compared apart: the catalog rounds through a JavaScript Date, this through SQL.)
    const listed = await shopper.api.catalog.product({ slug: 'teak-bench' });
    expect({ ...listed, createdAt: '' }).toEqual({ ...created, createdAt: '' });
    expect(Math.abs(Date.parse(listed.createdAt) - Date.parse(created.createdAt))).toBeLessThanOrEqual(1);
  });

  it('updates an existing product', async () => {
    const created = await staff.api.admin.product.upsert({ ...upsertInput('cedar-bench'), stock: 9 });
    const updated = await staff.api.admin.product.upsert({
      ...upsertInput('cedar-bench'),
      id: created.id,
      name: 'Cedar Bench',
      categorySlug: 'garden',
      imageUrl: 'https://images.example/cedar.jpg',
    });
    expect(updated).toEqual({
      ...created,
      name: 'Cedar Bench',
      category: { slug: 'garden', name: 'Garden' },
      imageUrl: 'https://images.example/cedar.jpg',
    });
  });

  it('is BAD_REQUEST for an unknown category, CONFLICT for a taken slug, NOT_FOUND for an unknown id', async () => {
    expect((await errorOf(staff.api.admin.product.upsert({ ...upsertInput('x-bench'), categorySlug: 'nope' }))).code).toBe('BAD_REQUEST');
    await staff.api.admin.product.upsert(upsertInput('oak-bench'));
    expect((await errorOf(staff.api.admin.product.upsert(upsertInput('oak-bench')))).code).toBe('CONFLICT');
    expect((await errorOf(staff.api.admin.product.upsert({ ...upsertInput('y-bench'), id: 2_000_000_000 }))).code).toBe('NOT_FOUND');
  });

  it.each([
    ['a negative price', { ...upsertInput('neg'), priceCents: -1 }],
    ['a bad slug', { ...upsertInput('Bad Slug') }],
    ['a javascript: image', { ...upsertInput('img'), imageUrl: 'javascript:alert(1)' }],
    ['negative stock', { ...upsertInput('stock'), stock: -1 }],
  ])('refuses %s with BAD_REQUEST', async (_name, input) => {
    expect((await errorOf(staff.api.admin.product.upsert(input))).code).toBe('BAD_REQUEST');
  });
});

describe('admin.product.adjustStock', () => {
  it('adjusts stock and returns the product', async () => {
    const product = await makeProduct(2);
    expect(await staff.api.admin.product.adjustStock({ productId: product, delta: 3 })).toMatchObject({ id: product, stock: 5 });
    expect(await staff.api.admin.product.adjustStock({ productId: product, delta: -5 })).toMatchObject({ id: product, stock: 0 });
  });

  it('is CONFLICT below zero, leaving stock unchanged; NOT_FOUND for an unknown product; BAD_REQUEST for 0', async () => {
    const product = await makeProduct(2);
    expect((await errorOf(staff.api.admin.product.adjustStock({ productId: product, delta: -3 }))).code).toBe('CONFLICT');
    expect(await stockOf(product)).toBe(2);
    expect((await errorOf(staff.api.admin.product.adjustStock({ productId: 2_000_000_000, delta: 1 }))).code).toBe('NOT_FOUND');
    expect((await errorOf(staff.api.admin.product.adjustStock({ productId: product, delta: 0 }))).code).toBe('BAD_REQUEST');
  });
});

describe('admin.order', () => {
  it('list shows every user’s orders, newest first, filtered by status', async () => {
    const product = await makeProduct(10);
    const mine = await placeOrder(product);
    const other = await signedIn('shopper');
    const [cart] = await sql<{ id: string }>('insert into carts (user_id) values (?) returning id', [other.user.id]);
    await sql('insert into cart_items (cart_id, product_id, quantity) values (?, ?, 1)', [cart?.id, product]);
    const theirs = await other.api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS });

    const page = await staff.api.admin.order.list({ limit: 100 });
    const ids = page.items.map((o) => o.id);
    expect(ids.indexOf(theirs.id)).toBeLessThan(ids.indexOf(mine.id));
    expect(ids.indexOf(theirs.id)).toBeGreaterThanOrEqual(0);

    await staff.api.admin.order.setStatus({ id: theirs.id, status: 'shipped' });
    const shipped = await staff.api.admin.order.list({ status: 'shipped' });
    expect(shipped.items.map((o) => o.id)).toContain(theirs.id);
    expect(shipped.items.every((o) => o.status === 'shipped')).toBe(true);

    const first = await staff.api.admin.order.list({ limit: 1 });
    const second = await staff.api.admin.order.list({ limit: 1, cursor: first.nextCursor ?? '' });
    expect(second.items[0]?.id).not.toBe(first.items[0]?.id);
  });

  it('setStatus moves forward only: placed → shipped → delivered', async () => {
    const placed = await placeOrder(await makeProduct(5));
    const set = (status: OrderStatus) => staff.api.admin.order.setStatus({ id: placed.id, status });
    expect(await set('shipped')).toEqual({ ...placed, status: 'shipped' });
    expect((await errorOf(set('placed'))).code).toBe('CONFLICT');
    expect((await errorOf(set('cancelled'))).code).toBe('CONFLICT');
    expect((await set('delivered')).status).toBe('delivered');
    for (const status of ['placed', 'shipped', 'cancelled', 'delivered'] as const)
      expect((await errorOf(set(status))).code).toBe('CONFLICT');
    // The shopper sees the change.
    expect((await shopper.api.orders.byId({ id: placed.id })).status).toBe('delivered');
  });

  it('setStatus cancels a placed order, returning stock; nothing leaves cancelled', async () => {
    const product = await makeProduct(5);
    const placed = await placeOrder(product, 2);
    const set = (status: OrderStatus) => staff.api.admin.order.setStatus({ id: placed.id, status });
    expect((await set('cancelled')).status).toBe('cancelled');
    expect(await stockOf(product)).toBe(5);
    for (const status of ['placed', 'shipped', 'delivered', 'cancelled'] as const)
      expect((await errorOf(set(status))).code).toBe('CONFLICT');
    expect(await stockOf(product)).toBe(5);
  });

  it('setStatus is NOT_FOUND for an unknown order and BAD_REQUEST for an unknown status', async () => {
    expect((await errorOf(staff.api.admin.order.setStatus({ id: randomUUID(), status: 'shipped' }))).code).toBe('NOT_FOUND');
    const placed = await placeOrder(await makeProduct(1));
    expect((await errorOf(staff.api.admin.order.setStatus({ id: placed.id, status: 'lost' as never }))).code).toBe('BAD_REQUEST');
  });
});
