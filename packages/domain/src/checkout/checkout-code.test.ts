import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthedContext } from '../context.ts';
import { cancelOrder, getOrder } from '../orders/orders.service.ts';
import {
  ADDRESS,
  authedContext,
  cartLines,
  createProduct,
  createPromotion,
  createTestUser,
  fillCart,
  orderCount,
  outcome,
  setCartCode,
  stockOf,
  usesOf,
} from '../testing/index.ts';
import { placeOrder } from './checkout.service.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();
const place = (ctx: AuthedContext, idempotencyKey: string = randomUUID()) => placeOrder(ctx, { idempotencyKey, shippingAddress: ADDRESS });

/** A shopper with `quantity` of `product` in the cart and the promotion on it. */
async function shopper(product: number, promotionId: number | null, quantity = 1) {
  const user = await createTestUser(em());
  await fillCart(em(), user.id, [[product, quantity]]);
  await setCartCode(em(), user.id, promotionId);
  return { user, ctx: () => authedContext(db.orm, user) };
}

const cartCodeOf = async (userId: string) =>
  (await em().getConnection().execute<{ promotion_id: number | null }[]>('select promotion_id from carts where user_id = ?', [userId]))[0]
    ?.promotion_id;

beforeAll(async () => {
  // The race holds 50 transactions open at once.
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 30 });
});
afterAll(() => db?.drop());

describe('checkout with a promotion code', () => {
  it('records code, subtotal, discount and total, takes one use, and clears the code from the cart', async () => {
    const product = await createProduct(em(), { stock: 5, priceCents: 1_999 });
    const promotion = await createPromotion(em(), { value: 25, usageLimit: 5 });
    const { user, ctx } = await shopper(product, promotion.id, 3);
    const order = await place(ctx());
    expect(order).toMatchObject({ code: promotion.code, subtotalCents: 5_997, discountCents: 1_499, totalCents: 4_498 });
    expect(await getOrder(ctx(), order.id)).toEqual(order);
    expect(await usesOf(em(), promotion.id)).toBe(1);
    expect(await cartCodeOf(user.id)).toBeNull();
  });

  it('keeps the code as spelt when it was redeemed, whatever staff rename it to later', async () => {
    const product = await createProduct(em(), { stock: 5 });
    const promotion = await createPromotion(em(), { kind: 'fixed', value: 300 });
    const { ctx } = await shopper(product, promotion.id);
    const order = await place(ctx());
    await em().getConnection().execute(`update promotions set code = 'RENAMED' || id where id = ?`, [promotion.id]);
    expect((await getOrder(ctx(), order.id)).code).toBe(promotion.code);
  });

  it.each([
    ['used up', { usageLimit: 2, usedCount: 2 }, 1, /used up/],
    ['below its minimum', { minSubtotalCents: 5_000 }, 1, /at least €50\.00/],
    ['disabled', { active: false }, 1, /not active/],
    ['expired', { endsAt: '2001-01-01T00:00:00Z' }, 1, /expired/],
  ])('is CONFLICT for a code %s, and changes nothing', async (_name, settings, quantity, message) => {
    const product = await createProduct(em(), { stock: 5, priceCents: 1_000 });
    const promotion = await createPromotion(em(), settings);
    const usesBefore = await usesOf(em(), promotion.id);
    const { user, ctx } = await shopper(product, promotion.id, quantity);
    const result = await outcome(place(ctx()));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(result.ok ? '' : (result.error as Error).message).toMatch(message);
    expect(await orderCount(em(), user.id)).toBe(0);
    expect(await stockOf(em(), product)).toBe(5);
    expect(await cartLines(em(), user.id)).toEqual([[product, quantity]]);
    expect(await cartCodeOf(user.id)).toBe(promotion.id);
    expect(await usesOf(em(), promotion.id)).toBe(usesBefore);
  });

  it('takes no use when the order fails on stock', async () => {
    const product = await createProduct(em(), { stock: 1 });
    const promotion = await createPromotion(em(), { usageLimit: 1 });
    const { ctx } = await shopper(product, promotion.id, 2);
    expect(await outcome(place(ctx()))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(await usesOf(em(), promotion.id)).toBe(0);
  });

  it('redeems once for a key sent again, and once for ten sent at once', async () => {
    const product = await createProduct(em(), { stock: 50 });
    const promotion = await createPromotion(em());
    const { ctx } = await shopper(product, promotion.id, 2);
    const key = randomUUID();
    const first = await place(ctx(), key);
    expect(await place(ctx(), key)).toEqual(first);
    expect(await usesOf(em(), promotion.id)).toBe(1);

    const other = await createPromotion(em());
    const racer = await shopper(product, other.id, 2);
    const raceKey = randomUUID();
    const orders = await Promise.all(Array.from({ length: 10 }, () => place(racer.ctx(), raceKey)));
    expect(new Set(orders.map((o) => o.id)).size).toBe(1);
    expect(orders[0]?.discountCents).toBe(200);
    expect(await usesOf(em(), other.id)).toBe(1);
  });
});

describe('cancelling an order with a code', () => {
  it('gives the use back, so another shopper can have it', async () => {
    const product = await createProduct(em(), { stock: 10 });
    const promotion = await createPromotion(em(), { usageLimit: 1 });
    const first = await shopper(product, promotion.id);
    const second = await shopper(product, promotion.id);
    const order = await place(first.ctx());
    expect(await outcome(place(second.ctx()))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    await cancelOrder(first.ctx(), order.id);
    expect(await usesOf(em(), promotion.id)).toBe(0);
    expect(await place(second.ctx())).toMatchObject({ code: promotion.code, discountCents: 100 });
    expect(await usesOf(em(), promotion.id)).toBe(1);
  });

  it('gives it back once however many cancellations race, and leaves other codes alone', async () => {
    const product = await createProduct(em(), { stock: 10 });
    const promotion = await createPromotion(em(), { usageLimit: 10, usedCount: 4 });
    const bystander = await createPromotion(em(), { usedCount: 3 });
    const { ctx } = await shopper(product, promotion.id);
    const order = await place(ctx());
    const results = await Promise.all(Array.from({ length: 5 }, () => outcome(cancelOrder(ctx(), order.id))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await usesOf(em(), promotion.id)).toBe(4);
    expect(await usesOf(em(), bystander.id)).toBe(3);
  });

  it('changes no code for an order placed without one', async () => {
    const product = await createProduct(em(), { stock: 10 });
    const promotion = await createPromotion(em(), { usedCount: 2 });
    const { ctx } = await shopper(product, null);
    const order = await place(ctx());
    expect(order).toMatchObject({ code: null, discountCents: 0, subtotalCents: 1_000, totalCents: 1_000 });
    await cancelOrder(ctx(), order.id);
    expect(await usesOf(em(), promotion.id)).toBe(2);
  });
});

describe('checkout with a code under concurrency', () => {
  it('50 shoppers racing for a code limited to 10 uses: exactly 10 discounted orders, 40 CONFLICT with nothing changed', async () => {
    const product = await createProduct(em(), { stock: 1_000, priceCents: 2_000 });
    const promotion = await createPromotion(em(), { kind: 'fixed', value: 500, usageLimit: 10 });
    const shoppers = [];
    for (let i = 0; i < 50; i++) shoppers.push(await shopper(product, promotion.id));
    const results = await Promise.all(shoppers.map((s) => outcome(place(s.ctx()))));
    const placed = results.flatMap((r) => (r.ok ? [r.value] : []));
    expect(placed).toHaveLength(10);
    expect(placed.every((o) => o.discountCents === 500 && o.totalCents === 1_500)).toBe(true);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.kind))).toEqual(Array(40).fill('CONFLICT'));
    expect(await usesOf(em(), promotion.id)).toBe(10);
    expect(await stockOf(em(), product)).toBe(990);
    const refused = shoppers.filter((_, i) => !results[i]?.ok);
    for (const s of refused) {
      expect(await cartLines(em(), s.user.id)).toEqual([[product, 1]]);
      expect(await orderCount(em(), s.user.id)).toBe(0);
    }
  });
});
