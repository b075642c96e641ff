// Variants end to end in the services: the cart keys lines by variant, checkout takes and cancel
// returns stock per variant, order lines keep the variant's SKU and options, staff edit options and
// variants, and a product's summary is the aggregate of its variants.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { adminProductUpsertInput, cartAddInput, cartUpdateInput, optionsLabel } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adjustStock, upsertProduct } from '../admin/admin.service.ts';
import { addItem, getCart, mergeGuestCart, removeItem, updateItem } from '../cart/cart.service.ts';
import { placeOrder } from '../checkout/checkout.service.ts';
import type { AuthedContext, SessionUser } from '../context.ts';
import { cancelOrder, getOrder } from '../orders/orders.service.ts';
import { sql } from '../sql.ts';
import {
  ADDRESS,
  authedContext,
  createCategory,
  createProduct,
  createTestUser,
  fillCart,
  MemorySession,
  orderCount,
  outcome,
  setVariants,
  stockOf,
  testContext,
  variantStockOf,
} from '../testing/index.ts';
import { addItem as wish, listItems as wishes } from '../wishlist/wishlist.service.ts';
import { getProduct } from './catalog.service.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();
const as = (user: SessionUser) => authedContext(db.orm, user);
const place = (user: SessionUser) => placeOrder(as(user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });

/** A shirt in S (2 left), M (1 left) and L (sold out), M dearer. */
async function shirt(): Promise<{ product: number; s: number; m: number; l: number; slug: string }> {
  const product = await createProduct(em(), { stock: 0, name: 'Variant Shirt', slugPrefix: 'shirt' });
  const [s, m, l] = await setVariants(em(), product, [
    { options: { Size: 'S' }, stock: 2, priceCents: 1_500 },
    { options: { Size: 'M' }, stock: 1, priceCents: 1_700 },
    { options: { Size: 'L' }, stock: 0, priceCents: 1_500 },
  ]);
  const [row] = await em().getConnection().execute<{ slug: string }[]>('select slug from products where id = ?', [product]);
  if (s === undefined || m === undefined || l === undefined || !row) throw new Error('no variants');
  return { product, s, m, l, slug: row.slug };
}

/** A statement that waits for a row lock, in this test's database. */
const WAITING = `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
  where not l.granted and a.datname = current_database()`;
const someoneWaits = async () => ((await sql<{ n: number }>(em(), WAITING))[0]?.n ?? 0) > 0;

/**
 * A transaction that runs `first`, then stays open until `commit` is called (it then runs `last`);
 * resolves once `first` has run.
 */
async function openTransaction(
  first: (tx: EntityManager) => Promise<unknown>,
  last: (tx: EntityManager) => Promise<unknown> = async () => {},
) {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = false;
  const done = em().transactional(async (tx) => {
    await first(tx);
    started = true;
    await held;
    await last(tx);
  });
  await expect.poll(() => started).toBe(true);
  return () => {
    release();
    return done;
  };
}

/**
 * Holds the product's row lock (as staff saving it would) until `call` is waiting for it, then runs
 * `meanwhile` in the holding transaction and commits; returns `call`'s outcome.
 */
async function whileLocked<T>(product: number, meanwhile: (tx: EntityManager) => Promise<unknown>, call: () => Promise<T>) {
  const commit = await openTransaction((tx) => sql(tx, 'select id from products where id = ? for update', [product]), meanwhile);
  const result = outcome(call());
  await expect.poll(someoneWaits).toBe(true);
  await commit();
  return result;
}

/**
 * Runs `call` while another transaction has added a cart line for the variant and not yet committed
 * (its foreign-key checks hold key-share locks on the variant and its product): whether `call`
 * had to wait for it, and its outcome.
 */
async function whileCartWriterOpen<T>(variant: number, call: () => Promise<T>) {
  const shopper = await createTestUser(em());
  const commit = await openTransaction(async (tx) => {
    const [cart] = await sql<{ id: string }>(tx, 'insert into carts (user_id) values (?) returning id', [shopper.id]);
    await sql(
      tx,
      'insert into cart_items (cart_id, product_id, variant_id, quantity) select ?, product_id, id, 1 from product_variants where id = ?',
      [cart?.id, variant],
    );
  });
  let waited = false;
  let done = false;
  const result = outcome(call()).finally(() => {
    done = true;
  });
  while (!done) {
    if (await someoneWaits()) {
      waited = true;
      break;
    }
    await new Promise((r) => setImmediate(r));
  }
  await commit();
  return { waited, result: await result };
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 20 });
  await createCategory(em(), 'apparel', 'Apparel');
});
afterAll(() => db?.drop());

describe('a product with variants', () => {
  it('reads as its options and variants, priced from its cheapest and stocked with their sum', async () => {
    const { product, s, m, l, slug } = await shirt();
    const read = await getProduct(testContext(db.orm), slug);
    expect(read).toMatchObject({
      id: product,
      priceCents: 1_500,
      stock: 3,
      options: [{ name: 'Size', values: ['S', 'M', 'L'] }],
      variants: [
        { id: s, sku: expect.any(String), options: { Size: 'S' }, priceCents: 1_500, stock: 2 },
        { id: m, sku: expect.any(String), options: { Size: 'M' }, priceCents: 1_700, stock: 1 },
        { id: l, sku: expect.any(String), options: { Size: 'L' }, priceCents: 1_500, stock: 0 },
      ],
    });
  });
});

describe('options in order', () => {
  it("come in the product's option order, not the database's key order, in the product, the cart and the order", async () => {
    // jsonb keeps keys shortest first: Size before Colour.
    const product = await createProduct(em(), { stock: 0, name: 'Ordered Scarf' });
    const [sage] = await setVariants(em(), product, [{ options: { Colour: 'Sage', Size: 'M' }, stock: 2 }]);
    const [row] = await sql<{ slug: string }>(em(), 'select slug from products where id = ?', [product]);
    const read = await getProduct(testContext(db.orm), row?.slug ?? '');
    expect(read.options.map((o) => o.name)).toEqual(['Colour', 'Size']);
    expect(Object.keys(read.variants[0]?.options ?? {})).toEqual(['Colour', 'Size']);
    const user = await createTestUser(em());
    await fillCart(em(), user.id, [[product, 1, sage ?? 0]]);
    expect((await getCart(as(user))).lines.map((l) => optionsLabel(l.options))).toEqual(['Sage / M']);
    const order = await place(user);
    expect(order.lines.map((l) => optionsLabel(l.options))).toEqual(['Sage / M']);
    expect((await getOrder(as(user), order.id)).lines.map((l) => optionsLabel(l.options))).toEqual(['Sage / M']);
  });
});

describe('the cart with variants', () => {
  it('keeps one line per variant, priced and stocked by the variant, with its SKU and options', async () => {
    const { product, s, m } = await shirt();
    const ctx = testContext(db.orm, { session: new MemorySession() });
    await addItem(ctx, cartAddInput.parse({ productId: product, variantId: s, quantity: 2 }));
    const cart = await addItem(ctx, cartAddInput.parse({ productId: product, variantId: m }));
    expect(cart.lines.map((l) => [l.variantId, l.options, l.priceCents, l.quantity, l.stock, l.lineTotalCents])).toEqual([
      [s, { Size: 'S' }, 1_500, 2, 2, 3_000],
      [m, { Size: 'M' }, 1_700, 1, 1, 1_700],
    ]);
    expect(cart.subtotalCents).toBe(4_700);
    expect(cart.lines.every((l) => l.productId === product && l.sku.length > 0)).toBe(true);
  });

  it('refuses more than the variant has, though the product has more', async () => {
    const { product, m } = await shirt();
    const ctx = testContext(db.orm, { session: new MemorySession() });
    expect(await outcome(addItem(ctx, cartAddInput.parse({ productId: product, variantId: m, quantity: 2 })))).toMatchObject({
      ok: false,
      kind: 'CONFLICT',
    });
  });

  it('needs the variant named for a product with several (BAD_REQUEST, VARIANT_REQUIRED), and one of that product (NOT_FOUND)', async () => {
    const { product, s } = await shirt();
    const other = await shirt();
    const ctx = testContext(db.orm, { session: new MemorySession() });
    const required = { ok: false, kind: 'BAD_REQUEST', error: { reason: 'VARIANT_REQUIRED' } };
    expect(await outcome(addItem(ctx, cartAddInput.parse({ productId: product })))).toMatchObject(required);
    expect(await outcome(addItem(ctx, cartAddInput.parse({ productId: product, variantId: other.s })))).toMatchObject({
      ok: false,
      kind: 'NOT_FOUND',
    });
    await addItem(ctx, cartAddInput.parse({ productId: product, variantId: s }));
    expect(await outcome(updateItem(ctx, cartUpdateInput.parse({ productId: product, quantity: 2 })))).toMatchObject(required);
    expect(await outcome(removeItem(ctx, { productId: product }))).toMatchObject(required);
    // Too many of one line is another BAD_REQUEST: no reason to send the shopper to choose options.
    expect(await outcome(addItem(ctx, cartAddInput.parse({ productId: product, variantId: s, quantity: 99 })))).toMatchObject({
      ok: false,
      kind: 'BAD_REQUEST',
      error: { reason: undefined },
    });
    expect((await getCart(ctx)).itemCount).toBe(1);
    expect((await updateItem(ctx, cartUpdateInput.parse({ productId: product, variantId: s, quantity: 2 }))).itemCount).toBe(2);
    expect((await removeItem(ctx, { productId: product, variantId: s })).lines).toEqual([]);
  });

  it("merges a guest cart into the account variant by variant, clipped to each variant's stock", async () => {
    const { product, s, m } = await shirt();
    const user = await createTestUser(em());
    await fillCart(em(), user.id, [[product, 1, s]]);
    const session = new MemorySession();
    const guest = testContext(db.orm, { session });
    await addItem(guest, cartAddInput.parse({ productId: product, variantId: s, quantity: 2 }));
    await addItem(guest, cartAddInput.parse({ productId: product, variantId: m }));
    await mergeGuestCart(guest, user.id);
    const cart = await getCart(as(user));
    expect(cart.lines.map((l) => [l.variantId, l.quantity])).toEqual([
      [s, 2],
      [m, 1],
    ]);
  });
});

describe('checkout and cancellation with variants', () => {
  it('takes stock from the variant bought, snapshots its SKU and options, and gives it back on cancel', async () => {
    const { product, s, m } = await shirt();
    const user = await createTestUser(em());
    await fillCart(em(), user.id, [
      [product, 2, s],
      [product, 1, m],
    ]);
    const order = await place(user);
    expect(order.lines).toEqual([
      {
        productId: product,
        variantId: s,
        sku: expect.any(String),
        options: { Size: 'S' },
        name: 'Variant Shirt',
        unitPriceCents: 1_500,
        quantity: 2,
        lineTotalCents: 3_000,
      },
      {
        productId: product,
        variantId: m,
        sku: expect.any(String),
        options: { Size: 'M' },
        name: 'Variant Shirt',
        unitPriceCents: 1_700,
        quantity: 1,
        lineTotalCents: 1_700,
      },
    ]);
    expect([await variantStockOf(em(), s), await variantStockOf(em(), m), await stockOf(em(), product)]).toEqual([0, 0, 0]);
    await cancelOrder(as(user), order.id);
    expect([await variantStockOf(em(), s), await variantStockOf(em(), m), await stockOf(em(), product)]).toEqual([2, 1, 3]);
  });

  it('racing buyers for the last unit of one variant: exactly one wins, and the other variant is untouched', async () => {
    const { product, s, m } = await shirt();
    const buyers = [];
    for (let i = 0; i < 8; i++) {
      const user = await createTestUser(em());
      await fillCart(em(), user.id, [[product, 1, m]]);
      buyers.push(user);
    }
    const results = await Promise.all(buyers.map((u) => outcome(place(u))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.kind))).toEqual(Array(7).fill('CONFLICT'));
    expect([await variantStockOf(em(), m), await variantStockOf(em(), s), await stockOf(em(), product)]).toEqual([0, 2, 2]);
  });

  it('answers CONFLICT, ordering nothing, when a cart line’s variant is removed while the checkout waits for its lock', async () => {
    const { product, s, m } = await shirt();
    const user = await createTestUser(em());
    await fillCart(em(), user.id, [
      [product, 1, s],
      [product, 1, m],
    ]);
    const ordered = await whileLocked(
      product,
      (tx) => sql(tx, 'delete from product_variants where id = ?', [s]),
      () => place(user),
    );
    expect(ordered).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await orderCount(em(), user.id)).toBe(0);
    expect(await variantStockOf(em(), m)).toBe(1);
  });

  it('never waits on a cart writer’s open transaction (its foreign-key check shares the key that checkout, cancel and staff leave alone)', async () => {
    const { product, s } = await shirt();
    const buyer = await createTestUser(em());
    await fillCart(em(), buyer.id, [[product, 1, s]]);
    const order = await whileCartWriterOpen(s, () => place(buyer));
    expect(order).toMatchObject({ waited: false, result: { ok: true } });
    const staffCtx = as(await createTestUser(em(), 'staff'));
    expect(await whileCartWriterOpen(s, () => adjustStock(staffCtx, { productId: product, variantId: s, delta: 3 }))).toMatchObject({
      waited: false,
      result: { ok: true },
    });
    const placed = order.result.ok ? (order.result.value as { id: string }) : null;
    expect(await whileCartWriterOpen(s, () => cancelOrder(as(buyer), placed?.id ?? ''))).toMatchObject({
      waited: false,
      result: { ok: true },
    });
  });
});

describe('cart adds and checkouts of one product at once', () => {
  it("never deadlock: a cart line's key-share locks and a checkout's product and variant locks", async () => {
    // (Regression: checkout took FOR UPDATE on the product, then the variant; an add to another cart
    // held the variant's key share and waited for the product's: "deadlock detected".)
    const product = await createProduct(em(), { stock: 1_000 });
    const users = await Promise.all(Array.from({ length: 6 }, () => createTestUser(em())));
    const results = await Promise.all(
      users.map(async (user) => {
        const outcomes = [];
        for (let i = 0; i < 6; i++) {
          outcomes.push(await outcome(addItem(as(user), cartAddInput.parse({ productId: product }))));
          outcomes.push(await outcome(place(user)));
        }
        return outcomes;
      }),
    );
    expect(results.flat().filter((r) => !r.ok)).toEqual([]);
    expect(await stockOf(em(), product)).toBe(1_000 - 36);
  });
});

describe('staff and variants', () => {
  const input = (slug: string, extra: object) =>
    adminProductUpsertInput.parse({ slug, name: 'Staff Tee', description: 'Cotton.', priceCents: 1, categorySlug: 'apparel', ...extra });
  const staff = async () => as(await createTestUser(em(), 'staff'));

  it('create a product with options and variants, then keep, change, add and remove variants by id', async () => {
    const ctx = await staff();
    const created = await upsertProduct(
      ctx,
      input('staff-tee', {
        options: [
          { name: 'Size', values: ['S', 'M'] },
          { name: 'Colour', values: ['Sage'] },
        ],
        variants: [
          { sku: 'TEE-S-SAGE', options: { Size: 'S', Colour: 'Sage' }, priceCents: 1_900, stock: 4 },
          { sku: 'TEE-M-SAGE', options: { Colour: 'Sage', Size: 'M' }, priceCents: 2_100, stock: 6 },
        ],
      }),
    );
    expect(created).toMatchObject({
      priceCents: 1_900,
      stock: 10,
      options: [
        { name: 'Size', values: ['S', 'M'] },
        { name: 'Colour', values: ['Sage'] },
      ],
      variants: [
        { sku: 'TEE-S-SAGE', options: { Size: 'S', Colour: 'Sage' }, priceCents: 1_900, stock: 4 },
        { sku: 'TEE-M-SAGE', options: { Size: 'M', Colour: 'Sage' }, priceCents: 2_100, stock: 6 },
      ],
    });
    const [small] = created.variants;
    const updated = await upsertProduct(
      ctx,
      input('staff-tee', {
        id: created.id,
        options: [{ name: 'Size', values: ['S', 'XL'] }],
        variants: [
          { id: small?.id, sku: 'TEE-S', options: { Size: 'S' }, priceCents: 1_800, stock: 3 },
          { sku: 'TEE-XL', options: { Size: 'XL' }, priceCents: 2_500, stock: 1 },
        ],
      }),
    );
    expect(updated.variants.map((v) => [v.sku, v.options, v.priceCents, v.stock])).toEqual([
      ['TEE-S', { Size: 'S' }, 1_800, 3],
      ['TEE-XL', { Size: 'XL' }, 2_500, 1],
    ]);
    expect(updated.variants[0]?.id).toBe(small?.id);
    expect(updated).toMatchObject({ priceCents: 1_800, stock: 4, options: [{ name: 'Size', values: ['S', 'XL'] }] });

    // Without variants, a product with several is refused: the price would not say whose.
    expect(await outcome(upsertProduct(ctx, input('staff-tee', { id: created.id })))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
    // Another product's SKU, or another product's variant id.
    expect(
      await outcome(upsertProduct(ctx, input('staff-tee-2', { variants: [{ sku: 'TEE-S', options: {}, priceCents: 1, stock: 0 }] }))),
    ).toMatchObject({ ok: false, kind: 'CONFLICT' });
    const other = await shirt();
    expect(
      await outcome(
        upsertProduct(
          ctx,
          input('staff-tee', { id: created.id, variants: [{ id: other.s, sku: 'X-1', options: {}, priceCents: 1, stock: 0 }] }),
        ),
      ),
    ).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
  });

  /** A tee in S and M, created by staff, with SKUs `<SKU>-S` and `<SKU>-M`. */
  async function sizedTee(
    ctx: AuthedContext,
    slug: string,
    sku: string,
    [stockS, stockM]: [number, number],
    [priceS, priceM]: [number, number],
  ) {
    const created = await upsertProduct(
      ctx,
      input(slug, {
        options: [{ name: 'Size', values: ['S', 'M'] }],
        variants: [
          { sku: `${sku}-S`, options: { Size: 'S' }, priceCents: priceS, stock: stockS },
          { sku: `${sku}-M`, options: { Size: 'M' }, priceCents: priceM, stock: stockM },
        ],
      }),
    );
    const [small, medium] = created.variants;
    if (!small || !medium) throw new Error('no variants');
    return { created, small, medium };
  }

  it('keep a listed variant’s stock when the save leaves it out, whatever orders took meanwhile', async () => {
    const ctx = await staff();
    const { created, small, medium } = await sizedTee(ctx, 'stale-tee', 'STALE', [5, 5], [1_000, 1_000]);
    // A shopper buys 2 S after the editor loaded the product (5 and 5).
    const buyer = await createTestUser(em());
    await fillCart(em(), buyer.id, [[created.id, 2, small.id]]);
    await place(buyer);
    const saved = await upsertProduct(
      ctx,
      input('stale-tee', {
        id: created.id,
        options: [{ name: 'Size', values: ['S', 'M', 'L'] }],
        variants: [
          { id: small.id, sku: 'STALE-S', options: { Size: 'S' }, priceCents: 1_200 },
          { id: medium.id, sku: 'STALE-M', options: { Size: 'M' }, priceCents: 1_100 },
          { sku: 'STALE-L', options: { Size: 'L' }, priceCents: 1_300, stock: 2 },
        ],
      }),
    );
    expect(saved.variants.map((v) => [v.sku, v.priceCents, v.stock])).toEqual([
      ['STALE-S', 1_200, 3],
      ['STALE-M', 1_100, 5],
      ['STALE-L', 1_300, 2],
    ]);
    expect(saved.stock).toBe(10);
    // A new variant must say its stock.
    expect(
      adminProductUpsertInput.safeParse({
        slug: 'x',
        name: 'X',
        description: '',
        priceCents: 1,
        categorySlug: 'apparel',
        variants: [{ sku: 'NEW', options: {}, priceCents: 1 }],
      }).success,
    ).toBe(false);
  });

  it('create a product whose slug is an older product’s SKU (the older one renamed since), with or without variants', async () => {
    const ctx = await staff();
    const old = await upsertProduct(ctx, input('renamed-tee', { stock: 3 }));
    expect(old.variants.map((v) => v.sku)).toEqual(['renamed-tee']);
    await upsertProduct(ctx, input('renamed-tee-v2', { id: old.id }));
    const plain = await upsertProduct(ctx, input('renamed-tee', { stock: 4 }));
    expect(plain).toMatchObject({ slug: 'renamed-tee', stock: 4 });
    expect(plain.variants[0]?.sku).not.toBe('renamed-tee');
    await upsertProduct(ctx, input('renamed-tee-v3', { id: plain.id }));
    const withVariants = await upsertProduct(
      ctx,
      input('renamed-tee', { variants: [{ sku: 'RENAMED-TEE-ONE', options: {}, priceCents: 900, stock: 1 }] }),
    );
    expect(withVariants.variants.map((v) => [v.sku, v.stock])).toEqual([['RENAMED-TEE-ONE', 1]]);
  });

  it('swap two variants’ options, or their SKUs, in one save', async () => {
    const ctx = await staff();
    const { created, small: a, medium: b } = await sizedTee(ctx, 'swap-tee', 'SWAP', [1, 2], [1_000, 2_000]);
    // Saves a and b with these SKUs and sizes, in one upsert.
    const save = (skus: [string, string], sizes: [string, string]) =>
      upsertProduct(
        ctx,
        input('swap-tee', {
          id: created.id,
          options: [{ name: 'Size', values: ['S', 'M'] }],
          variants: [
            { id: a.id, sku: skus[0], options: { Size: sizes[0] }, priceCents: 1_000 },
            { id: b.id, sku: skus[1], options: { Size: sizes[1] }, priceCents: 2_000 },
          ],
        }),
      );
    const swappedOptions = await save(['SWAP-S', 'SWAP-M'], ['M', 'S']);
    expect(swappedOptions.variants.map((v) => [v.id, v.options])).toEqual([
      [a.id, { Size: 'M' }],
      [b.id, { Size: 'S' }],
    ]);
    const swappedSkus = await save(['SWAP-M', 'SWAP-S'], ['M', 'S']);
    expect(swappedSkus.variants.map((v) => [v.id, v.sku])).toEqual([
      [a.id, 'SWAP-M'],
      [b.id, 'SWAP-S'],
    ]);
    // Another product's SKU is still refused, at the end of the save.
    const other = await upsertProduct(
      ctx,
      input('swap-other', { variants: [{ sku: 'SWAP-OTHER', options: {}, priceCents: 1, stock: 0 }] }),
    );
    expect(
      await outcome(
        upsertProduct(
          ctx,
          input('swap-other', { id: other.id, variants: [{ id: other.variants[0]?.id, sku: 'SWAP-S', options: {}, priceCents: 1 }] }),
        ),
      ),
    ).toMatchObject({ ok: false, kind: 'CONFLICT' });
  });

  it('refuse variants that do not match the options, repeat a combination or a SKU (BAD_REQUEST in the schema)', () => {
    const options = [{ name: 'Size', values: ['S', 'M'] }];
    const v = (sku: string, size: string) => ({ sku, options: { Size: size }, priceCents: 1, stock: 0 });
    const parse = (extra: object) =>
      adminProductUpsertInput.safeParse({ slug: 'x', name: 'X', description: '', priceCents: 1, categorySlug: 'apparel', ...extra });
    expect(parse({ options, variants: [v('A', 'S'), v('B', 'M')] }).success).toBe(true);
    expect(parse({ options, variants: [v('A', 'XL')] }).success).toBe(false);
    expect(parse({ options, variants: [{ sku: 'A', options: {}, priceCents: 1, stock: 0 }] }).success).toBe(false);
    expect(parse({ options, variants: [v('A', 'S'), v('B', 'S')] }).success).toBe(false);
    expect(parse({ options, variants: [v('A', 'S'), v('A', 'M')] }).success).toBe(false);
    expect(parse({ options }).success).toBe(false);
    expect(parse({ options: [{ name: 'Size', values: ['S', 'S'] }], variants: [v('A', 'S')] }).success).toBe(false);
    // Two combinations whose labels read alike ("x / y / z") are still two.
    const slashed = [
      { name: 'A', values: ['x / y', 'x'] },
      { name: 'B', values: ['z', 'y / z'] },
    ];
    const both = [
      { sku: 'S1', options: { A: 'x / y', B: 'z' }, priceCents: 1, stock: 0 },
      { sku: 'S2', options: { A: 'x', B: 'y / z' }, priceCents: 1, stock: 0 },
    ];
    expect(parse({ options: slashed, variants: both }).success).toBe(true);
  });

  it('adjust the stock of the variant named, and need one named for a product with several', async () => {
    const ctx = await staff();
    const { product, l, m } = await shirt();
    expect((await adjustStock(ctx, { productId: product, variantId: l, delta: 5 })).variants.find((v) => v.id === l)?.stock).toBe(5);
    expect(await stockOf(em(), product)).toBe(8);
    expect(await outcome(adjustStock(ctx, { productId: product, variantId: m, delta: -2 }))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await outcome(adjustStock(ctx, { productId: product, delta: 1 }))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
  });
});

describe('the wishlist and variants', () => {
  it('takes a product with or without its variant, but only a variant of that product', async () => {
    const { product, s } = await shirt();
    const other = await shirt();
    const ctx = as(await createTestUser(em()));
    expect(await wish(ctx, { productId: product, variantId: s })).toMatchObject([{ id: product, variantId: s }]);
    expect(await outcome(wish(ctx, { productId: other.product, variantId: s }))).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
    await wish(ctx, { productId: other.product });
    expect((await wishes(ctx)).map((p) => [p.id, p.variantId])).toEqual([
      [other.product, undefined],
      [product, s],
    ]);
  });
});
