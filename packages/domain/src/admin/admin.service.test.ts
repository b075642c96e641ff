import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { adminOrderListInput, MAX_STOCK, type Order, type OrderStatus } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { placeOrder } from '../checkout/checkout.service.ts';
import type { AuthedContext, SessionUser } from '../context.ts';
import { ADDRESS, createCategory, createProduct, fillCart, outcome, stockOf } from '../testing/fixtures.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import { adjustStock, listOrders, setOrderStatus, upsertProduct } from './admin.service.ts';

let db: TestDatabase;
let staffUser: SessionUser;
const em = () => db.orm.em.fork();
const staff = (): AuthedContext => authedContext(db.orm, staffUser);

const newProduct = (slug: string) => ({
  slug,
  name: 'Oak Shelf',
  description: 'Solid oak.',
  priceCents: 4_500,
  categorySlug: 'furniture',
});

async function orderFor(user: SessionUser, { stock = 5, quantity = 2 } = {}): Promise<{ order: Order; product: number }> {
  const product = await createProduct(em(), { stock });
  await fillCart(em(), user.id, [[product, quantity]]);
  const order = await placeOrder(authedContext(db.orm, user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
  return { order, product };
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 20 });
  staffUser = await createTestUser(em(), 'staff');
  await createCategory(em(), 'furniture', 'Furniture');
  await createCategory(em(), 'lighting', 'Lighting');
});
afterAll(() => db?.drop());

describe('admin.upsertProduct', () => {
  it('creates a product with the image at its slug and no stock by default', async () => {
    const product = await upsertProduct(staff(), newProduct('oak-shelf'));
    expect(product).toEqual({
      id: expect.any(Number),
      slug: 'oak-shelf',
      name: 'Oak Shelf',
      description: 'Solid oak.',
      priceCents: 4_500,
      currency: 'EUR',
      imageUrl: '/img/products/oak-shelf.svg',
      stock: 0,
      category: { slug: 'furniture', name: 'Furniture' },
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      options: [],
      variants: [{ id: expect.any(Number), sku: 'oak-shelf', options: {}, priceCents: 4_500, stock: 0 }],
    });
    const withImage = await upsertProduct(staff(), { ...newProduct('oak-stool'), imageUrl: 'https://cdn.example/stool.png', stock: 7 });
    expect(withImage).toMatchObject({ imageUrl: 'https://cdn.example/stool.png', stock: 7 });
  });

  it('updates every given field, keeping the image and stock when omitted', async () => {
    const created = await upsertProduct(staff(), { ...newProduct('pine-desk'), imageUrl: '/img/custom.svg', stock: 4 });
    const updated = await upsertProduct(staff(), {
      id: created.id,
      slug: 'pine-desk-xl',
      name: 'Pine Desk XL',
      description: 'Bigger.',
      priceCents: 12_000,
      categorySlug: 'lighting',
    });
    expect(updated).toEqual({
      ...created,
      slug: 'pine-desk-xl',
      name: 'Pine Desk XL',
      description: 'Bigger.',
      priceCents: 12_000,
      category: { slug: 'lighting', name: 'Lighting' },
      variants: created.variants.map((v) => ({ ...v, priceCents: 12_000 })),
    });
    expect((await upsertProduct(staff(), { ...newProduct('pine-desk-xl'), id: created.id, stock: 0 })).stock).toBe(0);
  });

  it('refuses an unknown category with BAD_REQUEST', async () => {
    expect(await outcome(upsertProduct(staff(), { ...newProduct('lost'), categorySlug: 'no-such' }))).toMatchObject({
      ok: false,
      kind: 'BAD_REQUEST',
    });
  });

  it('refuses a slug another product has with CONFLICT, on create and on rename', async () => {
    await upsertProduct(staff(), newProduct('taken-slug'));
    expect(await outcome(upsertProduct(staff(), newProduct('taken-slug')))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    const other = await upsertProduct(staff(), newProduct('free-slug'));
    expect(await outcome(upsertProduct(staff(), { ...newProduct('taken-slug'), id: other.id }))).toMatchObject({
      ok: false,
      kind: 'CONFLICT',
    });
  });

  it('is NOT_FOUND for an unknown id', async () => {
    expect(await outcome(upsertProduct(staff(), { ...newProduct('ghost'), id: 2_000_000_000 }))).toMatchObject({
      ok: false,
      kind: 'NOT_FOUND',
    });
  });
});

describe('admin.adjustStock', () => {
  it('adds and takes away', async () => {
    const id = await createProduct(em(), { stock: 2 });
    expect((await adjustStock(staff(), { productId: id, delta: 5 })).stock).toBe(7);
    expect((await adjustStock(staff(), { productId: id, delta: -7 })).stock).toBe(0);
  });

  it('refuses to go below zero with CONFLICT, leaving stock unchanged', async () => {
    const id = await createProduct(em(), { stock: 3 });
    const result = await outcome(adjustStock(staff(), { productId: id, delta: -4 }));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await stockOf(em(), id)).toBe(3);
  });

  it(`refuses to go above ${MAX_STOCK} with CONFLICT`, async () => {
    const id = await createProduct(em(), { stock: MAX_STOCK - 1 });
    expect(await outcome(adjustStock(staff(), { productId: id, delta: 2 }))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect((await adjustStock(staff(), { productId: id, delta: 1 })).stock).toBe(MAX_STOCK);
  });

  it('is NOT_FOUND for an unknown product', async () => {
    expect(await outcome(adjustStock(staff(), { productId: 2_000_000_000, delta: 1 }))).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
  });

  it('never oversells under concurrent adjustments', async () => {
    const id = await createProduct(em(), { stock: 5 });
    const results = await Promise.all(Array.from({ length: 12 }, () => outcome(adjustStock(staff(), { productId: id, delta: -1 }))));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.kind === 'CONFLICT')).toHaveLength(7);
    expect(await stockOf(em(), id)).toBe(0);
  });
});

describe('admin.listOrders', () => {
  let orderIds: string[];
  beforeAll(async () => {
    orderIds = [];
    for (let i = 0; i < 3; i++) {
      const user = await createTestUser(em());
      for (let j = 0; j < 3; j++) orderIds.push((await orderFor(user)).order.id);
    }
    await setOrderStatus(staff(), { id: orderIds[0] ?? '', status: 'shipped' });
    await setOrderStatus(staff(), { id: orderIds[4] ?? '', status: 'shipped' });
  });

  it('pages through every user’s orders, newest first', async () => {
    const seen: Order[] = [];
    let cursor: string | undefined;
    do {
      const page = await listOrders(staff(), adminOrderListInput.parse({ limit: 2, ...(cursor ? { cursor } : {}) }));
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const ids = seen.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of orderIds) expect(ids).toContain(id);
    const rows = await em().getConnection().execute<{ id: string }[]>('select id from orders order by created_at desc, id desc');
    expect(ids).toEqual(rows.map((r) => r.id));
  });

  it('filters by status', async () => {
    const shipped = await listOrders(staff(), adminOrderListInput.parse({ status: 'shipped' }));
    expect(shipped.items.map((o) => o.id).sort()).toEqual([orderIds[0], orderIds[4]].sort());
    expect(shipped.items.every((o) => o.status === 'shipped')).toBe(true);
    expect((await listOrders(staff(), adminOrderListInput.parse({ status: 'delivered' }))).items).toEqual([]);
  });
});

describe('admin.setOrderStatus', () => {
  const set = (id: string, status: OrderStatus) => outcome(setOrderStatus(staff(), { id, status }));

  it('moves an order forward: placed → shipped → delivered, and no further', async () => {
    const { order, product } = await orderFor(await createTestUser(em()));
    expect(await setOrderStatus(staff(), { id: order.id, status: 'shipped' })).toEqual({ ...order, status: 'shipped' });
    expect(await set(order.id, 'placed')).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await set(order.id, 'cancelled')).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect((await setOrderStatus(staff(), { id: order.id, status: 'delivered' })).status).toBe('delivered');
    for (const status of ['placed', 'shipped', 'cancelled', 'delivered'] as const) {
      expect(await set(order.id, status)).toMatchObject({ ok: false, kind: 'CONFLICT' });
    }
    expect(await stockOf(em(), product)).toBe(3);
  });

  it('cancels a placed order, returning its stock, and a cancelled order stays cancelled', async () => {
    const { order, product } = await orderFor(await createTestUser(em()), { stock: 6, quantity: 4 });
    expect(await set(order.id, 'placed')).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect((await setOrderStatus(staff(), { id: order.id, status: 'cancelled' })).status).toBe('cancelled');
    expect(await stockOf(em(), product)).toBe(6);
    for (const status of ['placed', 'shipped', 'delivered', 'cancelled'] as const) {
      expect(await set(order.id, status)).toMatchObject({ ok: false, kind: 'CONFLICT' });
    }
    expect(await stockOf(em(), product)).toBe(6);
  });

  it('is NOT_FOUND for an unknown order', async () => {
    expect(await set(randomUUID(), 'shipped')).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
  });
});

describe('admin services and shoppers', () => {
  it('refuses a shopper with FORBIDDEN, changing nothing', async () => {
    const shopper = authedContext(db.orm, await createTestUser(em()));
    const id = await createProduct(em(), { stock: 3 });
    const { order } = await orderFor(await createTestUser(em()));
    const attempts: Promise<unknown>[] = [
      upsertProduct(shopper, newProduct('by-shopper')),
      adjustStock(shopper, { productId: id, delta: -1 }),
      listOrders(shopper, adminOrderListInput.parse({})),
      setOrderStatus(shopper, { id: order.id, status: 'shipped' }),
    ];
    // Handled all at once: awaiting them in turn would leave the later rejections briefly unhandled.
    for (const result of await Promise.all(attempts.map(outcome))) expect(result).toMatchObject({ ok: false, kind: 'FORBIDDEN' });
    expect(await stockOf(em(), id)).toBe(3);
  });
});
