import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type Address, addressSchema } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ShopError } from '../errors.ts';
import { getOrder } from '../orders/orders.service.ts';
import { ADDRESS, cartLines, createProduct, fillCart, orderCount, outcome, stockOf } from '../testing/fixtures.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import { cartFingerprint, MAX_ORDER_TOTAL_CENTS, placeOrder } from './checkout.service.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();

async function shopper() {
  const user = await createTestUser(em());
  return { user, ctx: () => authedContext(db.orm, user) };
}

/** What an order line of a single-variant product carries of its variant. */
const onlyVariant = { variantId: expect.any(Number), sku: expect.any(String), options: {} };

const place = (ctx: ReturnType<typeof authedContext>, idempotencyKey: string = randomUUID(), shippingAddress: Address = ADDRESS) =>
  placeOrder(ctx, { idempotencyKey, shippingAddress });

beforeAll(async () => {
  // The concurrency tests hold many transactions open at once.
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 30 });
});
afterAll(() => db?.drop());

describe('checkout.placeOrder', () => {
  it('turns the cart into an order: price snapshots, total, stock taken, cart emptied', async () => {
    const { user, ctx } = await shopper();
    const lamp = await createProduct(em(), { stock: 5, priceCents: 1_250, name: 'Brass Lamp' });
    const mug = await createProduct(em(), { stock: 3, priceCents: 399, name: 'Blue Mug' });
    await fillCart(em(), user.id, [
      [lamp, 2],
      [mug, 3],
    ]);

    const order = await place(ctx());
    expect(order).toEqual({
      id: expect.any(String),
      number: expect.any(Number),
      status: 'placed',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      lines: [
        { productId: lamp, ...onlyVariant, name: 'Brass Lamp', unitPriceCents: 1_250, quantity: 2, lineTotalCents: 2_500 },
        { productId: mug, ...onlyVariant, name: 'Blue Mug', unitPriceCents: 399, quantity: 3, lineTotalCents: 1_197 },
      ],
      code: null,
      subtotalCents: 3_697,
      discountCents: 0,
      totalCents: 3_697,
      currency: 'EUR',
      shippingAddress: ADDRESS,
    });
    expect(Number.isSafeInteger(order.number) && order.number >= 100_001).toBe(true);
    expect(Math.abs(Date.parse(order.createdAt) - Date.now())).toBeLessThan(60_000);
    expect(await stockOf(em(), lamp)).toBe(3);
    expect(await stockOf(em(), mug)).toBe(0);
    expect(await cartLines(em(), user.id)).toEqual([]);
    // The order answered is the one stored, line order included.
    expect(await getOrder(ctx(), order.id)).toEqual(order);

    await fillCart(em(), user.id, [[lamp, 1]]);
    const next = await place(ctx());
    expect(next.number).toBeGreaterThan(order.number);
    expect(next.id).not.toBe(order.id);
  });

  it('keeps the price paid when the catalog price changes later', async () => {
    const { user, ctx } = await shopper();
    const product = await createProduct(em(), { stock: 5, priceCents: 700 });
    await fillCart(em(), user.id, [[product, 1]]);
    const order = await place(ctx());
    await em().getConnection().execute('update products set price_cents = 9999, name = ? where id = ?', ['Renamed', product]);
    const again = await getOrder(ctx(), order.id);
    expect(again.lines[0]).toMatchObject({ unitPriceCents: 700, lineTotalCents: 700 });
    expect(again.lines[0]?.name).not.toBe('Renamed');
    expect(again).toEqual(order);
  });

  it('stores an address with quotes, question marks and backslashes as given', async () => {
    const { user, ctx } = await shopper();
    await fillCart(em(), user.id, [[await createProduct(em(), { stock: 1 }), 1]]);
    const address = addressSchema.parse({ ...ADDRESS, name: `O'Brien "?" \\ $1`, line2: 'Flat ?, 2nd floor' });
    const order = await place(ctx(), randomUUID(), address);
    expect(order.shippingAddress).toEqual(address);
    expect((await getOrder(ctx(), order.id)).shippingAddress).toEqual(address);
  });

  it('refuses an empty cart with BAD_REQUEST, with or without a cart row', async () => {
    const { user, ctx } = await shopper();
    expect(await outcome(place(ctx()))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
    await fillCart(em(), user.id, []);
    expect(await outcome(place(ctx()))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
    expect(await orderCount(em(), user.id)).toBe(0);
  });

  it('refuses short lines with CONFLICT naming every one of them, and changes nothing', async () => {
    const { user, ctx } = await shopper();
    const enough = await createProduct(em(), { stock: 5, name: 'Plenty Vase' });
    const tooFew = await createProduct(em(), { stock: 3, name: 'Scarce Chair' });
    const none = await createProduct(em(), { stock: 0, name: 'Gone Table' });
    const lines = [
      [enough, 2],
      [tooFew, 4],
      [none, 1],
    ] as const;
    await fillCart(em(), user.id, lines);

    const result = await outcome(place(ctx()));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    const error = result.ok ? null : result.error;
    expect(error).toBeInstanceOf(ShopError);
    const shopError = error as ShopError;
    expect(shopError.message).toContain('Scarce Chair');
    expect(shopError.message).toContain('Gone Table');
    expect(shopError.message).not.toContain('Plenty Vase');
    expect(shopError.details).toEqual({
      shortLines: [
        { productId: tooFew, variantId: expect.any(Number), name: 'Scarce Chair', requested: 4, available: 3 },
        { productId: none, variantId: expect.any(Number), name: 'Gone Table', requested: 1, available: 0 },
      ],
    });

    expect([await stockOf(em(), enough), await stockOf(em(), tooFew), await stockOf(em(), none)]).toEqual([5, 3, 0]);
    expect(await cartLines(em(), user.id)).toEqual(lines.map(([p, q]) => [p, q]));
    expect(await orderCount(em(), user.id)).toBe(0);
  });

  it(`refuses a total above ${MAX_ORDER_TOTAL_CENTS} cents with BAD_REQUEST`, async () => {
    const { user, ctx } = await shopper();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await createProduct(em(), { stock: 99, priceCents: 10_000_000 }));
    await fillCart(
      em(),
      user.id,
      ids.map((id) => [id, 99] as const),
    );
    expect(await outcome(place(ctx()))).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
    expect(await stockOf(em(), ids[0] ?? 0)).toBe(99);
    expect(await orderCount(em(), user.id)).toBe(0);
  });
});

describe('checkout idempotency', () => {
  it('returns the same order for the same key, taking stock once', async () => {
    const { user, ctx } = await shopper();
    const product = await createProduct(em(), { stock: 5 });
    await fillCart(em(), user.id, [[product, 2]]);
    const key = randomUUID();
    const first = await place(ctx(), key);
    const second = await place(ctx(), key);
    expect(second).toEqual(first);
    expect(await stockOf(em(), product)).toBe(3);
    expect(await orderCount(em(), user.id)).toBe(1);
  });

  it('returns the same order when the cart holds the same lines again', async () => {
    const { user, ctx } = await shopper();
    const product = await createProduct(em(), { stock: 5 });
    await fillCart(em(), user.id, [[product, 2]]);
    const key = randomUUID();
    const first = await place(ctx(), key);
    await fillCart(em(), user.id, [[product, 2]]);
    expect((await place(ctx(), key)).id).toBe(first.id);
    expect(await cartLines(em(), user.id)).toEqual([[product, 2]]);
    expect(await stockOf(em(), product)).toBe(3);
  });

  it('refuses the same key with a different cart as UNPROCESSABLE_CONTENT, changing nothing', async () => {
    const { user, ctx } = await shopper();
    const product = await createProduct(em(), { stock: 5 });
    const other = await createProduct(em(), { stock: 5 });
    await fillCart(em(), user.id, [[product, 1]]);
    const key = randomUUID();
    await place(ctx(), key);
    await fillCart(em(), user.id, [[other, 1]]);
    expect(await outcome(place(ctx(), key))).toMatchObject({ ok: false, kind: 'UNPROCESSABLE_CONTENT' });
    await fillCart(em(), user.id, [[product, 2]]);
    expect(await outcome(place(ctx(), key))).toMatchObject({ ok: false, kind: 'UNPROCESSABLE_CONTENT' });
    expect(await cartLines(em(), user.id)).toEqual([[product, 2]]);
    expect([await stockOf(em(), product), await stockOf(em(), other)]).toEqual([4, 5]);
    expect(await orderCount(em(), user.id)).toBe(1);
  });

  it('refuses the same key with a different address, but not one spelt differently', async () => {
    const { user, ctx } = await shopper();
    await fillCart(em(), user.id, [[await createProduct(em(), { stock: 5 }), 1]]);
    const key = randomUUID();
    const first = await place(ctx(), key);
    expect(await outcome(place(ctx(), key, { ...ADDRESS, line1: '13 Analytical St' }))).toMatchObject({
      ok: false,
      kind: 'UNPROCESSABLE_CONTENT',
    });
    const respelt = { ...ADDRESS, name: '  ada   LOVELACE ', postalCode: 'n1 9gu' };
    expect((await place(ctx(), key, respelt)).id).toBe(first.id);
  });

  it('keys are per user: two users may use the same key', async () => {
    const a = await shopper();
    const b = await shopper();
    const product = await createProduct(em(), { stock: 5 });
    await fillCart(em(), a.user.id, [[product, 1]]);
    await fillCart(em(), b.user.id, [[product, 1]]);
    const key = randomUUID();
    const [orderA, orderB] = [await place(a.ctx(), key), await place(b.ctx(), key)];
    expect(orderA.id).not.toBe(orderB.id);
    expect(await stockOf(em(), product)).toBe(3);
  });
});

describe('checkout under concurrency', () => {
  it('50 shoppers racing for 10 in stock: exactly 10 orders, stock 0, 40 CONFLICT', async () => {
    const product = await createProduct(em(), { stock: 10 });
    const shoppers = [];
    for (let i = 0; i < 50; i++) {
      const s = await shopper();
      await fillCart(em(), s.user.id, [[product, 1]]);
      shoppers.push(s);
    }
    const results = await Promise.all(shoppers.map((s) => outcome(place(s.ctx()))));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.kind))).toEqual(Array(40).fill('CONFLICT'));
    expect(await stockOf(em(), product)).toBe(0);
    const [row] = await em()
      .getConnection()
      .execute<{ n: number; q: number }[]>('select count(*)::int as n, sum(quantity)::int as q from order_lines where product_id = ?', [
        product,
      ]);
    expect(row).toEqual({ n: 10, q: 10 });
  });

  it('10 concurrent attempts with one key: one order, the same one for all', async () => {
    const { user, ctx } = await shopper();
    const product = await createProduct(em(), { stock: 50 });
    await fillCart(em(), user.id, [[product, 3]]);
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 10 }, () => place(ctx(), key)));
    expect(new Set(results.map((o) => o.id)).size).toBe(1);
    expect(await orderCount(em(), user.id)).toBe(1);
    expect(await stockOf(em(), product)).toBe(47);
  });

  it('checkouts sharing products in any cart order neither deadlock nor oversell', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await createProduct(em(), { stock: 100 }));
    const shoppers = [];
    for (let i = 0; i < 24; i++) {
      const s = await shopper();
      // Each cart holds the products in another order; the locks are still taken by id.
      const rotated = [...ids.slice(i % 4), ...ids.slice(0, i % 4)];
      await fillCart(
        em(),
        s.user.id,
        rotated.map((id) => [id, 2] as const),
      );
      shoppers.push(s);
    }
    const results = await Promise.all(shoppers.map((s) => outcome(place(s.ctx()))));
    expect(results.every((r) => r.ok)).toBe(true);
    for (const id of ids) expect(await stockOf(em(), id)).toBe(100 - 24 * 2);
  });
});

describe('cartFingerprint', () => {
  const lines = [
    { productId: 3, variantId: 30, quantity: 1 },
    { productId: 1, variantId: 10, quantity: 2 },
  ];

  it('ignores line order and address spelling', () => {
    const reordered = [...lines].reverse();
    expect(cartFingerprint(reordered, { ...ADDRESS, city: ' LONDON ' })).toBe(cartFingerprint(lines, ADDRESS));
    expect(cartFingerprint(lines, ADDRESS)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with a quantity, a product, a variant or the address', () => {
    const base = cartFingerprint(lines, ADDRESS);
    expect(
      cartFingerprint(
        [
          { productId: 3, variantId: 30, quantity: 2 },
          { productId: 1, variantId: 10, quantity: 2 },
        ],
        ADDRESS,
      ),
    ).not.toBe(base);
    expect(cartFingerprint([{ productId: 3, variantId: 30, quantity: 1 }], ADDRESS)).not.toBe(base);
    expect(
      cartFingerprint(
        [
          { productId: 3, variantId: 31, quantity: 1 },
          { productId: 1, variantId: 10, quantity: 2 },
        ],
        ADDRESS,
      ),
    ).not.toBe(base);
    expect(cartFingerprint(lines, { ...ADDRESS, line2: 'Flat 2' })).not.toBe(base);
  });
});
