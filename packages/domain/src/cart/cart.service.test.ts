import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { cartAddInput, MAX_CART_LINES, MAX_LINE_QUANTITY } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { register } from '../auth/auth.service.ts';
import type { ServiceContext, SessionUser } from '../context.ts';
import { createProduct, createTestUser, EMPTY_CART, MemorySession, seedCatalogFixture, testContext } from '../testing/index.ts';
import { addItem, getCart, mergeGuestCart, removeItem, updateItem } from './cart.service.ts';

let db: TestDatabase;

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);
const guest = (session = new MemorySession()): ServiceContext => testContext(db.orm, { session });
const as = (user: SessionUser): ServiceContext => testContext(db.orm, { user });
const add = (ctx: ServiceContext, input: { productId: number; quantity?: number }) => addItem(ctx, cartAddInput.parse(input));
const user = () => createTestUser(db.orm.em.fork());

/** A product of the test's own, with known stock and price. */
const makeProduct = (stock: number, priceCents = 1_000): Promise<number> =>
  createProduct(db.orm.em.fork(), { stock, priceCents, name: 'Cart Test Product', slugPrefix: 'cart', imageUrl: '/img/products/cart.svg' });

/** Puts `lines` more products (any but `except`, each in its first variant) into the user's existing cart, one of each. */
const fillCart = (owner: SessionUser, except: number, lines: number) =>
  sql(
    `insert into cart_items (cart_id, product_id, variant_id, quantity)
     select (select c.id from carts c where c.user_id = ?), p.id, (select min(v.id) from product_variants v where v.product_id = p.id), 1
     from products p where p.id <> ? order by p.id limit ?`,
    [owner.id, except, lines],
  );
const countCarts = async () => (await sql<{ n: number }>('select count(*)::int as n from carts'))[0]?.n;
const quantities = (cart: { lines: { productId: number; quantity: number }[] }) =>
  Object.fromEntries(cart.lines.map((l) => [l.productId, l.quantity]));
const NO_SUCH_PRODUCT = 2_147_483_647;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 150, ties: 3 });
});
afterAll(() => db?.drop());

describe('a guest cart', () => {
  it('is empty, and nothing is created, until the first add', async () => {
    const before = await countCarts();
    const p = await makeProduct(5);
    const session = new MemorySession();
    expect(await getCart(guest(session))).toEqual(EMPTY_CART);
    expect((await removeItem(guest(session), { productId: p })).lines).toEqual([]);
    expect((await updateItem(guest(session), { productId: p, quantity: 0 })).lines).toEqual([]);
    expect(await countCarts()).toBe(before);
    expect(session.guestCartId).toBeNull();
  });

  it('is created by the first add, named in the session, and kept across calls', async () => {
    const p = await makeProduct(5, 1_250);
    const session = new MemorySession();
    const cart = await add(guest(session), { productId: p, quantity: 2 });
    expect(cart).toEqual({
      lines: [
        {
          productId: p,
          variantId: expect.any(Number),
          sku: expect.stringMatching(/^cart-/),
          options: {},
          slug: expect.stringMatching(/^cart-/),
          name: 'Cart Test Product',
          imageUrl: '/img/products/cart.svg',
          priceCents: 1_250,
          quantity: 2,
          stock: 5,
          lineTotalCents: 2_500,
        },
      ],
      itemCount: 2,
      subtotalCents: 2_500,
      currency: 'EUR',
      code: null,
      discountCents: 0,
      totalCents: 2_500,
      codeProblem: null,
    });
    const cartId = session.guestCartId;
    const [row] = await sql<{ user_id: string | null }>('select user_id from carts where id = ?', [cartId]);
    expect(row).toEqual({ user_id: null });

    expect(quantities(await add(guest(session), { productId: p }))).toEqual({ [p]: 3 });
    expect(session.guestCartId).toBe(cartId);
    expect(quantities(await getCart(guest(session)))).toEqual({ [p]: 3 });
    // Another browser has a cart of its own.
    expect((await getCart(guest())).lines).toEqual([]);
  });

  it('is not created by a failed add', async () => {
    const before = await countCarts();
    const p = await makeProduct(1);
    const session = new MemorySession();
    await expect(add(guest(session), { productId: NO_SUCH_PRODUCT })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    await expect(add(guest(session), { productId: p, quantity: 2 })).rejects.toMatchObject({ kind: 'CONFLICT' });
    expect(session.guestCartId).toBeNull();
    expect(await countCarts()).toBe(before);
  });

  it('never reaches a user cart whose id the session names', async () => {
    const owner = await user();
    const p = await makeProduct(10);
    await add(as(owner), { productId: p, quantity: 4 });
    const [userCart] = await sql<{ id: string }>('select id from carts where user_id = ?', [owner.id]);
    const session = new MemorySession();
    session.guestCartId = userCart?.id ?? null;
    expect((await getCart(guest(session))).lines).toEqual([]);
    await removeItem(guest(session), { productId: p });
    await add(guest(session), { productId: p, quantity: 1 });
    expect(session.guestCartId).not.toBe(userCart?.id);
    expect(quantities(await getCart(as(owner)))).toEqual({ [p]: 4 });
  });
});

describe('cart.addItem', () => {
  it('adds to existing lines, keeps lines in the order first added, and sums the cart', async () => {
    const [a, b] = [await makeProduct(10, 300), await makeProduct(10, 1_000)];
    const ctx = as(await user());
    await add(ctx, { productId: a, quantity: 2 });
    await add(ctx, { productId: b });
    const cart = await add(ctx, { productId: a, quantity: 3 });
    expect(cart.lines.map((l) => [l.productId, l.quantity, l.lineTotalCents])).toEqual([
      [a, 5, 1_500],
      [b, 1, 1_000],
    ]);
    expect(cart).toMatchObject({ itemCount: 6, subtotalCents: 2_500, currency: 'EUR' });
  });

  it('is NOT_FOUND for an unknown product', async () => {
    await expect(add(as(await user()), { productId: NO_SUCH_PRODUCT })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
  });

  it('is CONFLICT, naming the stock, when the line would exceed it; the cart stays as it was', async () => {
    const p = await makeProduct(3);
    const ctx = as(await user());
    await add(ctx, { productId: p, quantity: 2 });
    await expect(add(ctx, { productId: p, quantity: 2 })).rejects.toMatchObject({
      kind: 'CONFLICT',
      message: expect.stringMatching(/only 3 /),
      details: { productId: p, available: 3 },
    });
    expect(quantities(await getCart(ctx))).toEqual({ [p]: 2 });
    expect(quantities(await add(ctx, { productId: p }))).toEqual({ [p]: 3 });
  });

  it(`is BAD_REQUEST when the line would exceed ${MAX_LINE_QUANTITY}`, async () => {
    const p = await makeProduct(500);
    const ctx = as(await user());
    await add(ctx, { productId: p, quantity: 60 });
    await expect(add(ctx, { productId: p, quantity: 40 })).rejects.toMatchObject({
      kind: 'BAD_REQUEST',
      message: expect.stringMatching(/at most 99/),
    });
    expect(quantities(await add(ctx, { productId: p, quantity: 39 }))).toEqual({ [p]: 99 });
  });

  it(`is BAD_REQUEST for a new line beyond ${MAX_CART_LINES} lines, while existing lines still grow`, async () => {
    const owner = await user();
    const ctx = as(owner);
    const first = await makeProduct(10);
    await add(ctx, { productId: first });
    await fillCart(owner, first, MAX_CART_LINES - 1);
    const extra = await makeProduct(10);
    await expect(add(ctx, { productId: extra })).rejects.toMatchObject({
      kind: 'BAD_REQUEST',
      message: expect.stringMatching(/100 different/),
    });
    const cart = await add(ctx, { productId: first });
    expect(cart.lines).toHaveLength(MAX_CART_LINES);
    expect(quantities(cart)[first]).toBe(2);
  });

  it("prices lines at the catalog's current price and stock", async () => {
    const p = await makeProduct(10, 500);
    const ctx = as(await user());
    await add(ctx, { productId: p, quantity: 2 });
    await sql('update products set price_cents = 700, stock = 4 where id = ?', [p]);
    expect(await getCart(ctx)).toMatchObject({
      lines: [{ productId: p, priceCents: 700, stock: 4, lineTotalCents: 1_400 }],
      subtotalCents: 1_400,
    });
  });

  it('touches the cart’s updated_at', async () => {
    const owner = await user();
    const p = await makeProduct(10);
    await add(as(owner), { productId: p });
    await sql(`update carts set updated_at = now() - interval '1 day' where user_id = ?`, [owner.id]);
    await add(as(owner), { productId: p });
    const [row] = await sql<{ fresh: boolean }>(`select updated_at > now() - interval '1 minute' as fresh from carts where user_id = ?`, [
      owner.id,
    ]);
    expect(row?.fresh).toBe(true);
  });

  it('loses no update when 20 adds of one product run at once, for a user without a cart yet', async () => {
    const owner = await user();
    const p = await makeProduct(50);
    await Promise.all(Array.from({ length: 20 }, () => add(as(owner), { productId: p })));
    expect(quantities(await getCart(as(owner)))).toEqual({ [p]: 20 });
    const [row] = await sql<{ n: number }>('select count(*)::int as n from carts where user_id = ?', [owner.id]);
    expect(row?.n).toBe(1);
  });

  it('loses no update when 20 adds run at once on a guest cart', async () => {
    const p = await makeProduct(50);
    const session = new MemorySession();
    await add(guest(session), { productId: p });
    await Promise.all(Array.from({ length: 20 }, () => add(guest(session), { productId: p })));
    expect(quantities(await getCart(guest(session)))).toEqual({ [p]: 21 });
  });
});

describe('cart.updateItem', () => {
  it('sets a line’s quantity, and 0 removes it', async () => {
    const [a, b] = [await makeProduct(10), await makeProduct(10)];
    const ctx = as(await user());
    await add(ctx, { productId: a, quantity: 5 });
    await add(ctx, { productId: b, quantity: 1 });
    expect(quantities(await updateItem(ctx, { productId: a, quantity: 2 }))).toEqual({ [a]: 2, [b]: 1 });
    expect(quantities(await updateItem(ctx, { productId: b, quantity: 0 }))).toEqual({ [a]: 2 });
    // Removing what is not there is fine.
    expect(quantities(await updateItem(ctx, { productId: b, quantity: 0 }))).toEqual({ [a]: 2 });
  });

  it('is NOT_FOUND for an unknown product, or one not in the cart', async () => {
    const p = await makeProduct(10);
    const ctx = as(await user());
    await expect(updateItem(ctx, { productId: NO_SUCH_PRODUCT, quantity: 1 })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    await expect(updateItem(ctx, { productId: p, quantity: 1 })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    await expect(updateItem(guest(), { productId: p, quantity: 1 })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
  });

  it('is CONFLICT for more than in stock; the line stays as it was', async () => {
    const p = await makeProduct(4);
    const ctx = as(await user());
    await add(ctx, { productId: p, quantity: 1 });
    await expect(updateItem(ctx, { productId: p, quantity: 5 })).rejects.toMatchObject({ kind: 'CONFLICT', details: { available: 4 } });
    expect(quantities(await updateItem(ctx, { productId: p, quantity: 4 }))).toEqual({ [p]: 4 });
  });
});

describe('cart.removeItem', () => {
  it('removes one line and is idempotent', async () => {
    const [a, b] = [await makeProduct(10), await makeProduct(10)];
    const ctx = as(await user());
    await add(ctx, { productId: a });
    await add(ctx, { productId: b });
    expect(quantities(await removeItem(ctx, { productId: a }))).toEqual({ [b]: 1 });
    expect(quantities(await removeItem(ctx, { productId: a }))).toEqual({ [b]: 1 });
    expect(quantities(await removeItem(ctx, { productId: NO_SUCH_PRODUCT }))).toEqual({ [b]: 1 });
  });
});

describe('carts of different users', () => {
  it('are created lazily, one per user, and never visible to each other', async () => {
    const [alice, bob] = [await user(), await user()];
    const p = await makeProduct(10);
    expect((await getCart(as(alice))).lines).toEqual([]);
    expect(await sql('select id from carts where user_id = ?', [alice.id])).toEqual([]);
    await add(as(alice), { productId: p, quantity: 2 });
    expect((await getCart(as(bob))).lines).toEqual([]);
    await removeItem(as(bob), { productId: p });
    await expect(updateItem(as(bob), { productId: p, quantity: 1 })).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    expect(quantities(await getCart(as(alice)))).toEqual({ [p]: 2 });
  });
});

describe('cart.mergeGuestCart', () => {
  it('does nothing without a guest cart', async () => {
    const owner = await user();
    await mergeGuestCart(guest(), owner.id);
    expect(await sql('select id from carts where user_id = ?', [owner.id])).toEqual([]);
  });

  it('adds quantities clipped to stock and 99, drops products out of stock, and deletes the guest cart', async () => {
    const owner = await user();
    const [both, guestOnly, soldOut, many, userOnly] = [
      await makeProduct(5),
      await makeProduct(10),
      await makeProduct(3),
      await makeProduct(500),
      await makeProduct(10),
    ];
    await add(as(owner), { productId: both, quantity: 4 });
    await add(as(owner), { productId: many, quantity: 60 });
    await add(as(owner), { productId: userOnly, quantity: 1 });
    const session = new MemorySession();
    await add(guest(session), { productId: both, quantity: 3 });
    await add(guest(session), { productId: guestOnly, quantity: 2 });
    await add(guest(session), { productId: soldOut, quantity: 1 });
    await add(guest(session), { productId: many, quantity: 60 });
    await sql('update products set stock = 0 where id = ?', [soldOut]);
    const guestCartId = session.guestCartId;

    await mergeGuestCart(guest(session), owner.id);

    expect(quantities(await getCart(as(owner)))).toEqual({ [both]: 5, [guestOnly]: 2, [many]: 99, [userOnly]: 1 });
    expect(await sql('select id from carts where id = ?', [guestCartId])).toEqual([]);
    expect(await sql('select product_id from cart_items where cart_id = ?', [guestCartId])).toEqual([]);
  });

  it(`adds new lines only up to ${MAX_CART_LINES} lines`, async () => {
    const owner = await user();
    const first = await makeProduct(10);
    await add(as(owner), { productId: first });
    await fillCart(owner, first, MAX_CART_LINES - 2);
    const [x, y] = [await makeProduct(10), await makeProduct(10)];
    const session = new MemorySession();
    await add(guest(session), { productId: x });
    await add(guest(session), { productId: y });
    await add(guest(session), { productId: first, quantity: 2 });
    await mergeGuestCart(guest(session), owner.id);
    const merged = quantities(await getCart(as(owner)));
    expect(Object.keys(merged)).toHaveLength(MAX_CART_LINES);
    expect(merged).toMatchObject({ [first]: 3, [x]: 1 });
    expect(merged[y]).toBeUndefined();
  });

  it('never takes a user’s cart that a session names as its guest cart', async () => {
    const [alice, bob] = [await user(), await user()];
    const p = await makeProduct(10);
    await add(as(alice), { productId: p, quantity: 2 });
    const [aliceCart] = await sql<{ id: string }>('select id from carts where user_id = ?', [alice.id]);
    const session = new MemorySession();
    session.guestCartId = aliceCart?.id ?? null;
    await mergeGuestCart(guest(session), bob.id);
    expect(quantities(await getCart(as(alice)))).toEqual({ [p]: 2 });
    expect((await getCart(as(bob))).lines).toEqual([]);
  });

  it('runs at registration, and the session forgets the guest cart', async () => {
    const p = await makeProduct(10);
    const session = new MemorySession();
    await add(guest(session), { productId: p, quantity: 3 });
    const registered = await register(testContext(db.orm, { session }), {
      email: `merge-${randomUUID().slice(0, 8)}@example.test`,
      password: 'long enough pw',
      name: 'Merger',
    });
    expect(session.guestCartId).toBeNull();
    const [owner] = await sql<{ id: string }>('select id from carts where user_id = ?', [registered.id]);
    const items = await sql<{ product_id: number; quantity: number }>('select product_id, quantity from cart_items where cart_id = ?', [
      owner?.id,
    ]);
    expect(items).toEqual([{ product_id: p, quantity: 3 }]);
  });
});
