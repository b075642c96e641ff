import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { ProductSummary } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthedContext } from '../context.ts';
import { authedContext, createTestUser, seedCatalogFixture } from '../testing/index.ts';
import { addItem, listItems, removeItem } from './wishlist.service.ts';

let db: TestDatabase;
let productIds: number[];

const shopper = async (): Promise<() => AuthedContext> => {
  const user = await createTestUser(db.orm.em.fork());
  return () => authedContext(db.orm, user);
};
const ids = (items: ProductSummary[]) => items.map((p) => p.id);
const product = (i: number): number => {
  const id = productIds[i];
  if (id === undefined) throw new Error(`no product ${i}`);
  return id;
};

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 20, ties: 3 });
  productIds = (await db.orm.em.fork().getConnection().execute<{ id: number }[]>('select id from products order by id limit 5')).map(
    (r) => r.id,
  );
});
afterAll(() => db?.drop());

describe('wishlist', () => {
  it('starts empty', async () => {
    const ctx = await shopper();
    expect(await listItems(ctx())).toEqual([]);
  });

  it('lists products as catalog.list does, most recently added first', async () => {
    const ctx = await shopper();
    await addItem(ctx(), { productId: product(0) });
    await addItem(ctx(), { productId: product(1) });
    const items = await addItem(ctx(), { productId: product(2) });
    expect(ids(items)).toEqual([product(2), product(1), product(0)]);
    expect(items[0]).toEqual({
      id: product(2),
      slug: expect.any(String),
      name: expect.any(String),
      priceCents: expect.any(Number),
      currency: 'EUR',
      imageUrl: expect.stringMatching(/^\/img\/products\//),
      stock: expect.any(Number),
      category: { slug: expect.any(String), name: expect.any(String) },
    });
    expect(await listItems(ctx())).toEqual(items);
  });

  it('adds idempotently: a product appears once and keeps its place', async () => {
    const ctx = await shopper();
    await addItem(ctx(), { productId: product(0) });
    await addItem(ctx(), { productId: product(1) });
    expect(ids(await addItem(ctx(), { productId: product(0) }))).toEqual([product(1), product(0)]);
    await Promise.all([addItem(ctx(), { productId: product(3) }), addItem(ctx(), { productId: product(3) })]);
    expect(ids(await listItems(ctx())).filter((id) => id === product(3))).toHaveLength(1);
  });

  it('is NOT_FOUND for an unknown product', async () => {
    const ctx = await shopper();
    await expect(addItem(ctx(), { productId: 2_147_483_647 })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    expect(await listItems(ctx())).toEqual([]);
  });

  it('removes idempotently', async () => {
    const ctx = await shopper();
    await addItem(ctx(), { productId: product(0) });
    await addItem(ctx(), { productId: product(1) });
    expect(ids(await removeItem(ctx(), { productId: product(0) }))).toEqual([product(1)]);
    expect(ids(await removeItem(ctx(), { productId: product(0) }))).toEqual([product(1)]);
    expect(ids(await removeItem(ctx(), { productId: 2_147_483_647 }))).toEqual([product(1)]);
  });

  it('is private to its user', async () => {
    const [alice, bob] = [await shopper(), await shopper()];
    await addItem(alice(), { productId: product(4) });
    expect(await listItems(bob())).toEqual([]);
    await removeItem(bob(), { productId: product(4) });
    expect(ids(await listItems(alice()))).toEqual([product(4)]);
  });
});
