import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { seedCatalogFixture } from '@shop/domain/testing';
import type { ProductSummary } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';
import type { ContextDeps } from '../trpc.ts';

let db: TestDatabase;
let deps: ContextDeps;
let productIds: number[];

const guest = () => browserCaller(deps, new CookieJar());
const ids = (items: ProductSummary[]) => items.map((p) => p.id);
const product = (i: number): number => {
  const id = productIds[i];
  if (id === undefined) throw new Error(`no product ${i}`);
  return id;
};

/** A browser signed in as a newly registered shopper. */
async function signedIn() {
  const api = guest();
  await api.auth.register({ email: `wish-${randomUUID().slice(0, 8)}@example.test`, password: 'long enough pw', name: 'Wisher' });
  return api;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 20, ties: 3 });
  deps = testDeps(db.orm);
  productIds = (await db.orm.em.fork().getConnection().execute<{ id: number }[]>('select id from products order by id limit 5')).map(
    (r) => r.id,
  );
});
afterAll(() => db?.drop());

describe('wishlist procedures', () => {
  it('are UNAUTHORIZED for a guest', async () => {
    const api = guest();
    expect((await errorOf(api.wishlist.list())).code).toBe('UNAUTHORIZED');
    expect((await errorOf(api.wishlist.add({ productId: product(0) }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(api.wishlist.remove({ productId: product(0) }))).code).toBe('UNAUTHORIZED');
  });

  it('are UNAUTHORIZED again after sign-out', async () => {
    const api = await signedIn();
    await api.wishlist.add({ productId: product(0) });
    await api.auth.logout();
    expect((await errorOf(api.wishlist.list())).code).toBe('UNAUTHORIZED');
  });

  it('add and list answer ProductSummary items, newest first', async () => {
    const api = await signedIn();
    expect(await api.wishlist.list()).toEqual([]);
    await api.wishlist.add({ productId: product(0) });
    const items = await api.wishlist.add({ productId: product(1) });
    expect(ids(items)).toEqual([product(1), product(0)]);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['category', 'currency', 'id', 'imageUrl', 'name', 'priceCents', 'slug', 'stock']);
    expect(await api.wishlist.list()).toEqual(items);
  });

  it('add is idempotent', async () => {
    const api = await signedIn();
    await api.wishlist.add({ productId: product(2) });
    await api.wishlist.add({ productId: product(3) });
    expect(ids(await api.wishlist.add({ productId: product(2) }))).toEqual([product(3), product(2)]);
  });

  it('add is NOT_FOUND for an unknown product', async () => {
    const api = await signedIn();
    expect((await errorOf(api.wishlist.add({ productId: 2_147_483_647 }))).code).toBe('NOT_FOUND');
  });

  it('remove is idempotent', async () => {
    const api = await signedIn();
    await api.wishlist.add({ productId: product(0) });
    await api.wishlist.add({ productId: product(1) });
    expect(ids(await api.wishlist.remove({ productId: product(0) }))).toEqual([product(1)]);
    expect(ids(await api.wishlist.remove({ productId: product(0) }))).toEqual([product(1)]);
  });

  it.each([
    ['no product id', {}],
    ['a product id of 0', { productId: 0 }],
    ['a product id as text', { productId: '3' }],
    ['an unknown field', { productId: 1, note: 'x' }],
  ])('refuses %s with BAD_REQUEST', async (_name, input) => {
    const api = await signedIn();
    expect((await errorOf(api.wishlist.add(input as never))).code).toBe('BAD_REQUEST');
    expect((await errorOf(api.wishlist.remove(input as never))).code).toBe('BAD_REQUEST');
  });

  it('is private to its user', async () => {
    const [alice, bob] = [await signedIn(), await signedIn()];
    await alice.wishlist.add({ productId: product(4) });
    expect(await bob.wishlist.list()).toEqual([]);
    await bob.wishlist.remove({ productId: product(4) });
    expect(ids(await alice.wishlist.list())).toEqual([product(4)]);
  });
});
