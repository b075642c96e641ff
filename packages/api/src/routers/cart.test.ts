import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { createProduct, EMPTY_CART, seedCatalogFixture } from '@shop/domain/testing';
import type { Cart } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';
import type { ContextDeps } from '../trpc.ts';

let db: TestDatabase;
let deps: ContextDeps;

/** One browser: its own cookie jar, kept between calls. */
function browser() {
  const jar = new CookieJar();
  return { jar, api: browserCaller(deps, jar) };
}

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);
const quantities = (cart: Cart) => Object.fromEntries(cart.lines.map((l) => [l.productId, l.quantity]));
const newEmail = () => `cart-${randomUUID().slice(0, 8)}@example.test`;
const PASSWORD = 'long enough pw';
const NO_SUCH_PRODUCT = 2_147_483_647;

/** A product of the test's own, with known stock and price. */
const makeProduct = (stock: number, priceCents = 1_000): Promise<number> =>
  createProduct(db.orm.em.fork(), { stock, priceCents, name: 'Cart Test Product', slugPrefix: 'cart', imageUrl: '/img/products/cart.svg' });

/** A browser signed in as a newly registered shopper. */
async function signedIn() {
  const b = browser();
  const email = newEmail();
  const user = await b.api.auth.register({ email, password: PASSWORD, name: 'Shopper' });
  return { ...b, user, email };
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 20, ties: 3 });
  deps = testDeps(db.orm);
});
afterAll(() => db?.drop());

describe('cart for a guest', () => {
  it('get answers an empty cart and sets no cookie', async () => {
    const { jar, api } = browser();
    expect(await api.cart.get()).toEqual(EMPTY_CART);
    expect(jar.value).toBeUndefined();
  });

  it('persists across calls through the session cookie, one cart per browser', async () => {
    const p = await makeProduct(10, 450);
    const { jar, api } = browser();
    const added = await api.cart.add({ productId: p });
    expect(added).toEqual({
      lines: [
        {
          productId: p,
          variantId: expect.any(Number),
          sku: expect.any(String),
          options: {},
          slug: expect.any(String),
          name: 'Cart Test Product',
          imageUrl: '/img/products/cart.svg',
          priceCents: 450,
          quantity: 1,
          stock: 10,
          lineTotalCents: 450,
        },
      ],
      itemCount: 1,
      subtotalCents: 450,
      currency: 'EUR',
      code: null,
      discountCents: 0,
      totalCents: 450,
      codeProblem: null,
    });
    const session = await deps.codec.read(jar.header);
    expect(session?.cart).toEqual(expect.any(String));
    expect(session?.uid).toBeUndefined();

    await api.cart.add({ productId: p, quantity: 2 });
    expect(quantities(await api.cart.get())).toEqual({ [p]: 3 });
    expect((await deps.codec.read(jar.header))?.cart).toBe(session?.cart);
    expect((await browser().api.cart.get()).lines).toEqual([]);
  });

  it('holds its lines through 20 concurrent adds without losing one', async () => {
    const p = await makeProduct(50);
    const { api } = browser();
    await api.cart.add({ productId: p });
    await Promise.all(Array.from({ length: 20 }, () => api.cart.add({ productId: p })));
    expect(quantities(await api.cart.get())).toEqual({ [p]: 21 });
  });
});

describe('cart.add', () => {
  it('adds to a line and sums the cart', async () => {
    const [a, b] = [await makeProduct(10, 200), await makeProduct(10, 1_000)];
    const { api } = await signedIn();
    await api.cart.add({ productId: a, quantity: 2 });
    const cart = await api.cart.add({ productId: b, quantity: 3 });
    expect(cart.lines.map((l) => l.productId)).toEqual([a, b]);
    expect(cart).toMatchObject({ itemCount: 5, subtotalCents: 3_400 });
  });

  it('is NOT_FOUND for an unknown product', async () => {
    expect((await errorOf(browser().api.cart.add({ productId: NO_SUCH_PRODUCT }))).code).toBe('NOT_FOUND');
  });

  it('is CONFLICT when the line would hold more than in stock', async () => {
    const p = await makeProduct(2);
    const { api } = browser();
    await api.cart.add({ productId: p, quantity: 2 });
    const error = await errorOf(api.cart.add({ productId: p }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toMatch(/only 2 /);
    expect(quantities(await api.cart.get())).toEqual({ [p]: 2 });
  });

  it('is BAD_REQUEST when the line would hold more than 99', async () => {
    const p = await makeProduct(500);
    const { api } = browser();
    await api.cart.add({ productId: p, quantity: 99 });
    const error = await errorOf(api.cart.add({ productId: p }));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/at most 99/);
  });

  it.each([
    ['quantity 0', { quantity: 0 }],
    ['quantity 100', { quantity: 100 }],
    ['a fractional quantity', { quantity: 1.5 }],
    ['a negative product id', { productId: -1 }],
    ['a product id as text', { productId: '1' }],
    ['an unknown field', { colour: 'red' }],
  ])('refuses %s with BAD_REQUEST and zod issues', async (_name, change) => {
    const error = await errorOf(browser().api.cart.add({ productId: 1, ...change } as never));
    expect(error.code).toBe('BAD_REQUEST');
  });
});

describe('cart.update', () => {
  it('sets a quantity, and 0 removes the line', async () => {
    const [a, b] = [await makeProduct(10), await makeProduct(10)];
    const { api } = browser();
    await api.cart.add({ productId: a });
    await api.cart.add({ productId: b });
    expect(quantities(await api.cart.update({ productId: a, quantity: 7 }))).toEqual({ [a]: 7, [b]: 1 });
    expect(quantities(await api.cart.update({ productId: b, quantity: 0 }))).toEqual({ [a]: 7 });
  });

  it('is NOT_FOUND for an unknown product or one not in the cart', async () => {
    const p = await makeProduct(10);
    const { api } = browser();
    expect((await errorOf(api.cart.update({ productId: NO_SUCH_PRODUCT, quantity: 1 }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.cart.update({ productId: p, quantity: 1 }))).code).toBe('NOT_FOUND');
  });

  it('is CONFLICT for more than in stock', async () => {
    const p = await makeProduct(3);
    const { api } = browser();
    await api.cart.add({ productId: p });
    expect((await errorOf(api.cart.update({ productId: p, quantity: 4 }))).code).toBe('CONFLICT');
    expect(quantities(await api.cart.get())).toEqual({ [p]: 1 });
  });

  it('refuses a quantity outside 0..99 with BAD_REQUEST', async () => {
    const { api } = browser();
    expect((await errorOf(api.cart.update({ productId: 1, quantity: 100 }))).code).toBe('BAD_REQUEST');
    expect((await errorOf(api.cart.update({ productId: 1, quantity: -1 }))).code).toBe('BAD_REQUEST');
  });
});

describe('cart.remove', () => {
  it('removes a line and is idempotent', async () => {
    const [a, b] = [await makeProduct(10), await makeProduct(10)];
    const { api } = browser();
    await api.cart.add({ productId: a });
    await api.cart.add({ productId: b });
    expect(quantities(await api.cart.remove({ productId: a }))).toEqual({ [b]: 1 });
    expect(quantities(await api.cart.remove({ productId: a }))).toEqual({ [b]: 1 });
    expect((await browser().api.cart.remove({ productId: a })).lines).toEqual([]);
  });
});

describe('cart at sign-in', () => {
  it('auth.register moves the guest cart into the new account and drops it from the cookie', async () => {
    const [a, b] = [await makeProduct(10), await makeProduct(10)];
    const { jar, api } = browser();
    await api.cart.add({ productId: a, quantity: 2 });
    await api.cart.add({ productId: b });
    const guestCartId = (await deps.codec.read(jar.header))?.cart;

    const user = await api.auth.register({ email: newEmail(), password: PASSWORD, name: 'New' });

    expect(quantities(await api.cart.get())).toEqual({ [a]: 2, [b]: 1 });
    const session = await deps.codec.read(jar.header);
    expect(session?.uid).toBe(user.id);
    expect(session?.cart).toBeUndefined();
    expect(await sql('select id from carts where id = ?', [guestCartId])).toEqual([]);
    const [owned] = await sql<{ n: number }>('select count(*)::int as n from carts where user_id = ?', [user.id]);
    expect(owned?.n).toBe(1);
  });

  it('auth.login adds guest quantities to the account’s, clipped to stock, and drops sold-out products', async () => {
    const [shared, guestOnly, soldOut] = [await makeProduct(5), await makeProduct(10), await makeProduct(4)];
    const first = await signedIn();
    await first.api.cart.add({ productId: shared, quantity: 4 });
    await first.api.auth.logout();
    expect((await first.api.cart.get()).lines).toEqual([]);

    const { jar, api } = browser();
    await api.cart.add({ productId: shared, quantity: 3 });
    await api.cart.add({ productId: guestOnly, quantity: 2 });
    await api.cart.add({ productId: soldOut, quantity: 1 });
    await sql('update products set stock = 0 where id = ?', [soldOut]);
    const guestCartId = (await deps.codec.read(jar.header))?.cart;

    await api.auth.login({ email: first.email, password: PASSWORD });

    expect(quantities(await api.cart.get())).toEqual({ [shared]: 5, [guestOnly]: 2 });
    expect((await deps.codec.read(jar.header))?.cart).toBeUndefined();
    expect(await sql('select id from carts where id = ?', [guestCartId])).toEqual([]);
    // The account's cart is the same from any browser.
    await first.api.auth.login({ email: first.email, password: PASSWORD });
    expect(quantities(await first.api.cart.get())).toEqual({ [shared]: 5, [guestOnly]: 2 });
  });

  it('signing in without a guest cart keeps the account’s cart as it was', async () => {
    const p = await makeProduct(10);
    const first = await signedIn();
    await first.api.cart.add({ productId: p, quantity: 3 });
    const other = browser();
    await other.api.auth.login({ email: first.email, password: PASSWORD });
    expect(quantities(await other.api.cart.get())).toEqual({ [p]: 3 });
  });
});

describe('carts of signed-in users', () => {
  it('loses no update when 20 adds of one product run at once', async () => {
    const p = await makeProduct(50);
    const { api } = await signedIn();
    await Promise.all(Array.from({ length: 20 }, () => api.cart.add({ productId: p })));
    expect(quantities(await api.cart.get())).toEqual({ [p]: 20 });
  });

  it('are never visible to another user', async () => {
    const p = await makeProduct(10);
    const [alice, bob] = [await signedIn(), await signedIn()];
    await alice.api.cart.add({ productId: p, quantity: 2 });
    expect((await bob.api.cart.get()).lines).toEqual([]);
    expect((await bob.api.cart.remove({ productId: p })).lines).toEqual([]);
    expect((await errorOf(bob.api.cart.update({ productId: p, quantity: 1 }))).code).toBe('NOT_FOUND');
    expect(quantities(await alice.api.cart.get())).toEqual({ [p]: 2 });
  });
});
