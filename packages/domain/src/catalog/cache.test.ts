import { createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adjustStock, upsertProduct } from '../admin/admin.service.ts';
import type { AuthedContext, SessionUser } from '../context.ts';
import { sql } from '../sql.ts';
import { createCategory, createProduct } from '../testing/fixtures.ts';
import { createTestUser, testContext } from '../testing/index.ts';
import { type CatalogCache, createCatalogCache } from './cache.ts';
import { getProduct, listProducts } from './catalog.service.ts';

describe('catalog cache', () => {
  it('shares one load between concurrent readers and keeps the result for its time to live', async () => {
    const cache = createCatalogCache({ ttlMs: 200, bus: createMemoryBus() });
    let loads = 0;
    const load = async () => {
      loads += 1;
      await sleep(10);
      return { loads };
    };
    const [a, b] = await Promise.all([cache.read('k', load), cache.read('k', load)]);
    expect(a).toBe(b);
    expect(await cache.read('k', load)).toEqual({ loads: 1 });
    expect(await cache.read('other', load)).toEqual({ loads: 2 });

    // Expired: the old copy answers at once while one refresh runs, then the new one.
    await sleep(250);
    const [old1, old2] = await Promise.all([cache.read('k', load), cache.read('k', load)]);
    expect([old1, old2]).toEqual([{ loads: 1 }, { loads: 1 }]);
    await sleep(50);
    expect(await cache.read('k', load)).toEqual({ loads: 3 });
    expect(loads).toBe(3);

    // Far older than the time to live (5×): the reader waits for a fresh load.
    await sleep(1_100);
    expect(await cache.read('k', load)).toEqual({ loads: 4 });
    await cache.close();
  });

  it('does not keep a failure', async () => {
    const cache = createCatalogCache({ ttlMs: 60_000, bus: createMemoryBus() });
    await expect(cache.read('k', () => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(await cache.read('k', async () => 'loaded')).toBe('loaded');
    await cache.close();
  });

  it('forgets everything on every instance when one of them says the catalog changed', async () => {
    const bus = createMemoryBus();
    const here = createCatalogCache({ ttlMs: 60_000, bus });
    const there = createCatalogCache({ ttlMs: 60_000, bus });
    await Promise.all([here.listening, there.listening]);
    let version = 1;
    const load = async () => version;
    expect([await here.read('k', load), await there.read('k', load)]).toEqual([1, 1]);
    version = 2;
    expect(await there.read('k', load)).toBe(1);
    await here.changed();
    await sleep(10);
    expect([await here.read('k', load), await there.read('k', load)]).toEqual([2, 2]);
    await Promise.all([here.close(), there.close()]);
  });
});

describe('cached catalog reads and staff changes', () => {
  let db: TestDatabase;
  let staffUser: SessionUser;
  const bus = createMemoryBus();
  // Two instances' caches, with a time to live far longer than the test.
  const caches: CatalogCache[] = [createCatalogCache({ ttlMs: 600_000, bus }), createCatalogCache({ ttlMs: 600_000, bus })];
  const on = (i: number, user: SessionUser | null = null) => testContext(db.orm, { user, bus, catalogCache: caches[i] });

  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
    staffUser = await createTestUser(db.orm.em.fork(), 'staff');
    await createCategory(db.orm.em.fork(), 'lamps', 'Lamps');
    await Promise.all(caches.map((c) => c.listening));
  });
  afterAll(async () => {
    await Promise.all(caches.map((c) => c.close()));
    await db?.drop();
  });

  it('serves the stored copy until a staff change, then the new price and stock on every instance', async () => {
    const id = await createProduct(db.orm.em.fork(), { stock: 5, priceCents: 1_000, name: 'Desk Lamp' });
    await sql(db.orm.em.fork(), `update products set slug = 'desk-lamp' where id = ?`, [id]);
    expect((await getProduct(on(1), 'desk-lamp')).priceCents).toBe(1_000);
    const firstPage = await listProducts(on(1), { limit: 24 });
    expect(firstPage.items.find((p) => p.id === id)?.priceCents).toBe(1_000);

    // A change behind the shop's back is not seen while the copy lives...
    await sql(db.orm.em.fork(), 'update products set price_cents = 1 where id = ?', [id]);
    expect((await getProduct(on(1), 'desk-lamp')).priceCents).toBe(1_000);

    // ...a staff change on the other instance is, at once.
    const staff = on(0, staffUser) as AuthedContext;
    await upsertProduct(staff, {
      id,
      slug: 'desk-lamp',
      name: 'Desk Lamp',
      description: 'Bright.',
      priceCents: 1_500,
      categorySlug: 'lamps',
    });
    await sleep(10);
    expect((await getProduct(on(1), 'desk-lamp')).priceCents).toBe(1_500);
    expect((await listProducts(on(1), { limit: 24 })).items.find((p) => p.id === id)?.priceCents).toBe(1_500);

    await adjustStock(staff, { productId: id, delta: -5 });
    await sleep(10);
    expect((await getProduct(on(1), 'desk-lamp')).stock).toBe(0);
  });

  it('finds a product created after a miss for its slug', async () => {
    await expect(getProduct(on(0), 'late-lamp')).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    const id = await createProduct(db.orm.em.fork(), { stock: 1 });
    await sql(db.orm.em.fork(), `update products set slug = 'late-lamp' where id = ?`, [id]);
    expect((await getProduct(on(0), 'late-lamp')).slug).toBe('late-lamp');
  });
});
