import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { seedCatalogFixture } from '@shop/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';

let db: TestDatabase;
const caller = () => browserCaller(testDeps(db.orm));

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 120, ties: 10 });
});
afterAll(() => db?.drop());

describe('catalog procedures', () => {
  it('list works without any input and defaults to 24 items', async () => {
    const page = await caller().catalog.list();
    expect(page.items).toHaveLength(24);
    expect(page.items[0]).toEqual({
      id: expect.any(Number),
      slug: expect.any(String),
      name: expect.any(String),
      priceCents: expect.any(Number),
      currency: 'EUR',
      imageUrl: expect.stringMatching(/^\/img\/products\/.+\.svg$/),
      stock: expect.any(Number),
      category: { slug: expect.any(String), name: expect.any(String) },
    });
  });

  it.each([
    ['limit 0', { limit: 0 }],
    ['limit 101', { limit: 101 }],
    ['a fractional limit', { limit: 2.5 }],
    ['an unknown sort', { sort: 'cheapest' }],
    ['a negative price', { minPriceCents: -1 }],
    ['min above max', { minPriceCents: 500, maxPriceCents: 100 }],
    ['an unknown field', { colour: 'red' }],
    ['a malformed category slug', { category: 'Not A Slug' }],
  ])('list refuses %s with BAD_REQUEST', async (_name, input) => {
    const error = await errorOf(caller().catalog.list(input as never));
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('list refuses a forged cursor with BAD_REQUEST, not a server error', async () => {
    const error = await errorOf(caller().catalog.list({ cursor: 'definitely-not-a-cursor' }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/cursor/);
  });

  it('accepts the input shape of tRPC infinite queries', async () => {
    const first = await caller().catalog.list({ limit: 3, direction: 'forward' });
    const next = await caller().catalog.list({ limit: 3, direction: 'forward', cursor: first.nextCursor ?? '' });
    expect(next.items.map((p) => p.id)).not.toContain(first.items[0]?.id);
  });

  it('accepts the bounds of limit', async () => {
    expect((await caller().catalog.list({ limit: 1 })).items).toHaveLength(1);
    expect((await caller().catalog.list({ limit: 100 })).items).toHaveLength(100);
  });

  it('product is NOT_FOUND for an unknown slug', async () => {
    const error = await errorOf(caller().catalog.product({ slug: 'no-such-thing' }));
    expect(error.code).toBe('NOT_FOUND');
  });

  it('product returns the contract shape', async () => {
    const product = await caller().catalog.product({ slug: 'tied-lamp-2' });
    expect(Object.keys(product).sort()).toEqual(
      [
        'category',
        'createdAt',
        'currency',
        'description',
        'id',
        'imageUrl',
        'name',
        'options',
        'priceCents',
        'slug',
        'stock',
        'variants',
      ].sort(),
    );
  });

  it('categories carry product counts', async () => {
    const categories = await caller().catalog.categories();
    expect(categories.reduce((n, c) => n + c.productCount, 0)).toBe(130);
  });
});

describe('catalog reads and the session (publicReadProcedure)', () => {
  /** A browser signed in as a new shopper, and the SQL its calls send from now on. */
  async function signedIn() {
    const deps = testDeps(db.orm);
    const jar = new CookieJar();
    const api = browserCaller(deps, jar);
    const user = await api.auth.register({
      email: `reader-${randomUUID().slice(0, 8)}@example.test`,
      password: 'long enough pw',
      name: 'R',
    });
    // Every statement outside a transaction, MikroORM's and the prepared ones, goes through its client.
    const execute = vi.spyOn(db.orm.em.getConnection().getClient(), 'executeQuery');
    const userQueries = () => execute.mock.calls.filter(([query]) => 'sql' in query && /\bfrom users\b/.test(query.sql)).length;
    return { api, jar, user, userQueries, [Symbol.dispose]: () => execute.mockRestore() };
  }

  it('answers a signed-in shopper without loading the user', async () => {
    using shopper = await signedIn();
    expect((await shopper.api.catalog.list({ limit: 2 })).items).toHaveLength(2);
    await shopper.api.catalog.categories();
    expect(shopper.userQueries()).toBe(0);
    // Calls that need the user still load it, every time.
    await shopper.api.cart.get();
    expect(shopper.userQueries()).toBe(1);
  });

  it('still answers the public data with a revoked cookie, which it leaves alone; authed calls refuse it at once', async () => {
    using shopper = await signedIn();
    await db.orm.em.getConnection().execute('update users set session_version = session_version + 1 where id = ?', [shopper.user.id]);
    const cookie = shopper.jar.value;
    expect((await shopper.api.catalog.list({ limit: 2 })).items).toHaveLength(2);
    expect(shopper.jar.value).toBe(cookie);
    expect(shopper.userQueries()).toBe(0);
    expect((await errorOf(shopper.api.wishlist.list())).code).toBe('UNAUTHORIZED');
    expect(shopper.userQueries()).toBe(1);
    // The revoked cookie is dropped by the first call that loads the user.
    expect(shopper.jar.value).toBeUndefined();
  });

  it('keeps the input contract: BAD_REQUEST with zod issues, signed in or not', async () => {
    using shopper = await signedIn();
    const error = await errorOf(shopper.api.catalog.list({ limit: 0 }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause?.name).toBe('ZodError');
  });
});
