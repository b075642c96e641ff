import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { applyCodeInput, cartAddInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceContext, SessionUser } from '../context.ts';
import { createLimits } from '../limits.ts';
import { createProduct, createPromotion, createTestUser, MemorySession, outcome, testContext } from '../testing/index.ts';
import { addItem, getCart, mergeGuestCart, updateItem } from './cart.service.ts';
import { applyCode, removeCode } from './cart-code.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();
const sql = <T extends object>(query: string, params: unknown[] = []) => em().getConnection().execute<T[]>(query, params);
const as = (user: SessionUser): ServiceContext => testContext(db.orm, { user });
const guest = (session = new MemorySession()): ServiceContext => testContext(db.orm, { session });
const apply = (ctx: ServiceContext, code: string) => applyCode(ctx, applyCodeInput.parse({ code }));
const add = (ctx: ServiceContext, productId: number, quantity = 1) => addItem(ctx, cartAddInput.parse({ productId, quantity }));

/** A shopper whose cart holds `quantity` of a product at `priceCents`. */
async function shopperWith(priceCents: number, quantity = 1) {
  const user = await createTestUser(em());
  const product = await createProduct(em(), { stock: 50, priceCents });
  await add(as(user), product, quantity);
  return { user, product, ctx: () => as(user) };
}

const cartCode = async (userId: string) =>
  (await sql<{ promotion_id: number | null }>('select promotion_id from carts where user_id = ?', [userId]))[0]?.promotion_id;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('cart.applyCode', () => {
  it('takes a code in any case and prices the cart with it', async () => {
    const { ctx } = await shopperWith(1_005, 2);
    const { code } = await createPromotion(em(), { code: 'AUTUMN15', value: 15 });
    const cart = await apply(ctx(), '  autumn15 ');
    expect(cart).toMatchObject({ code, subtotalCents: 2_010, discountCents: 302, totalCents: 1_708, codeProblem: null });
    expect(await getCart(ctx())).toEqual(cart);
  });

  it('takes a fixed amount off, never below zero', async () => {
    const { ctx } = await shopperWith(700);
    const { code } = await createPromotion(em(), { kind: 'fixed', value: 1_000 });
    expect(await apply(ctx(), code)).toMatchObject({ subtotalCents: 700, discountCents: 700, totalCents: 0 });
  });

  it('replaces a code applied before', async () => {
    const { ctx } = await shopperWith(1_000);
    const first = await createPromotion(em(), { value: 10 });
    const second = await createPromotion(em(), { kind: 'fixed', value: 250 });
    await apply(ctx(), first.code);
    expect(await apply(ctx(), second.code)).toMatchObject({ code: second.code, discountCents: 250, totalCents: 750 });
  });

  it.each([
    ['unknown', {}, 'NOWHERE99', /there is no code NOWHERE99/],
    ['inactive', { active: false }, null, /is not active/],
    ['not started', { startsAt: '2999-01-01T00:00:00Z' }, null, /not valid yet/],
    ['ended', { endsAt: '2000-01-01T00:00:00Z' }, null, /has expired/],
  ])('is NOT_FOUND for a code that is %s, and the cart keeps its code', async (_name, settings, typed, message) => {
    const { user, ctx } = await shopperWith(1_000);
    const kept = await createPromotion(em());
    await apply(ctx(), kept.code);
    const { code } = await createPromotion(em(), settings);
    const result = await outcome(apply(ctx(), typed ?? code));
    expect(result).toMatchObject({ ok: false, kind: 'NOT_FOUND' });
    expect(result.ok ? '' : (result.error as Error).message).toMatch(message);
    expect(await cartCode(user.id)).toBe(kept.id);
  });

  it('is CONFLICT below the minimum subtotal, saying how much it needs', async () => {
    const { user, ctx } = await shopperWith(4_999);
    const { code } = await createPromotion(em(), { minSubtotalCents: 5_000 });
    const result = await outcome(apply(ctx(), code));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(result.ok ? '' : (result.error as Error).message).toBe(`the code ${code} needs a subtotal of at least €50.00`);
    expect(await cartCode(user.id)).toBeNull();
  });

  it('is CONFLICT once the usage limit is reached', async () => {
    const { ctx } = await shopperWith(1_000);
    const { code } = await createPromotion(em(), { usageLimit: 3, usedCount: 3 });
    const result = await outcome(apply(ctx(), code));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(result.ok ? '' : (result.error as Error).message).toMatch(/used up/);
  });

  it('creates no guest cart for a refused code, and one for an accepted code', async () => {
    const session = new MemorySession();
    const { code: needsMore } = await createPromotion(em(), { minSubtotalCents: 100 });
    expect(await outcome(apply(guest(session), needsMore))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(session.guestCartId).toBeNull();
    const { code } = await createPromotion(em());
    expect(await apply(guest(session), code)).toMatchObject({ code, lines: [], discountCents: 0, totalCents: 0 });
    expect(session.guestCartId).toEqual(expect.any(String));
  });
});

describe('a code on a cart that changes', () => {
  it('stays when the cart falls below the minimum, giving nothing and saying why, and counts again once it qualifies', async () => {
    const { product, ctx } = await shopperWith(3_000, 2);
    const { code } = await createPromotion(em(), { kind: 'fixed', value: 1_000, minSubtotalCents: 5_000 });
    await apply(ctx(), code);
    const below = await updateItem(ctx(), { productId: product, quantity: 1 });
    expect(below).toMatchObject({
      code,
      subtotalCents: 3_000,
      discountCents: 0,
      totalCents: 3_000,
      codeProblem: { reason: 'BELOW_MINIMUM', minSubtotalCents: 5_000 },
    });
    const again = await add(ctx(), product);
    expect(again).toMatchObject({ code, subtotalCents: 6_000, discountCents: 1_000, totalCents: 5_000, codeProblem: null });
  });

  it('gives nothing once staff disable the code or it is used up, and says so', async () => {
    const { ctx } = await shopperWith(2_000);
    const promotion = await createPromotion(em(), { usageLimit: 5 });
    await apply(ctx(), promotion.code);
    await sql('update promotions set used_count = 5 where id = ?', [promotion.id]);
    expect(await getCart(ctx())).toMatchObject({ discountCents: 0, totalCents: 2_000, codeProblem: { reason: 'USED_UP' } });
    await sql('update promotions set used_count = 0, active = false where id = ?', [promotion.id]);
    expect(await getCart(ctx())).toMatchObject({ code: promotion.code, discountCents: 0, codeProblem: { reason: 'NOT_ACTIVE' } });
  });
});

describe('cart.removeCode', () => {
  it('takes the code off, and does nothing without one or without a cart', async () => {
    const { user, ctx } = await shopperWith(1_000);
    const { code } = await createPromotion(em());
    await apply(ctx(), code);
    expect(await removeCode(ctx())).toMatchObject({ code: null, discountCents: 0, totalCents: 1_000, codeProblem: null });
    expect(await removeCode(ctx())).toMatchObject({ code: null, totalCents: 1_000 });
    expect(await cartCode(user.id)).toBeNull();
    const session = new MemorySession();
    expect(await removeCode(guest(session))).toMatchObject({ lines: [], code: null });
    expect(session.guestCartId).toBeNull();
  });
});

describe('a code applied as a guest', () => {
  it('comes along into the account at sign-in, replacing the one the account had', async () => {
    const owner = await createTestUser(em());
    const old = await createPromotion(em());
    const product = await createProduct(em(), { stock: 5, priceCents: 2_000 });
    await add(as(owner), product);
    await apply(as(owner), old.code);

    const session = new MemorySession();
    await add(guest(session), product);
    const { code } = await createPromotion(em(), { kind: 'fixed', value: 500 });
    await apply(guest(session), code);
    await mergeGuestCart(guest(session), owner.id);
    expect(await getCart(as(owner))).toMatchObject({ code, subtotalCents: 4_000, discountCents: 500, totalCents: 3_500 });
  });

  it('leaves the account its code when the guest had none', async () => {
    const owner = await createTestUser(em());
    const { code } = await createPromotion(em());
    const product = await createProduct(em(), { stock: 5, priceCents: 2_000 });
    await add(as(owner), product);
    await apply(as(owner), code);
    const session = new MemorySession();
    await add(guest(session), product);
    await mergeGuestCart(guest(session), owner.id);
    expect(await getCart(as(owner))).toMatchObject({ code, discountCents: 400 });
  });
});

describe('guessing codes', () => {
  it('refuses a client IP after 20 refused codes, a real one included, while accepted codes do not count', async () => {
    const limits = createLimits();
    const { user } = await shopperWith(1_000);
    const from = (clientIp: string) => testContext(db.orm, { user, limits, clientIp });
    const { code } = await createPromotion(em());
    // A shopper applying and re-applying a real code is never refused.
    for (let i = 0; i < 25; i++) expect(await apply(from('198.51.100.1'), code)).toMatchObject({ code });
    // Guesses side by side, as one batched request sends them: each takes its count first.
    const guesses = await Promise.all(Array.from({ length: 30 }, (_, i) => outcome(apply(from('198.51.100.1'), `GUESS${i}`))));
    const kinds = guesses.map((g) => (g.ok ? 'OK' : g.kind));
    expect(kinds.filter((k) => k === 'NOT_FOUND')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'TOO_MANY_REQUESTS')).toHaveLength(10);
    const blocked = await outcome(apply(from('198.51.100.1'), code));
    expect(blocked).toMatchObject({ ok: false, kind: 'TOO_MANY_REQUESTS' });
    expect(blocked.ok ? '' : (blocked.error as Error).message).toMatch(/too many promotion codes tried; try again in \d+ s/);
    // Another address is not affected.
    expect(await apply(from('198.51.100.2'), code)).toMatchObject({ code });
  });
});
