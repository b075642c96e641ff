import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { ShopError } from '@shop/domain';
import { createProduct, testMfaSettings } from '@shop/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ZodError } from 'zod';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';
import type { ContextDeps } from '../trpc.ts';

let db: TestDatabase;
const PASSWORD = 'long enough pw';
const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };
const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

/** A browser with its own cookies; `register` signs it up (merging its guest cart). */
function browser(deps: ContextDeps = testDeps(db.orm)) {
  const jar = new CookieJar();
  const api = browserCaller(deps, jar);
  const register = (name = 'Shopper') =>
    api.auth.register({ email: `promo-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD, name });
  return { api, jar, register };
}

/** A staff browser: registered, promoted with SQL, signed in again so the role is read fresh. */
async function staffBrowser(deps?: ContextDeps) {
  const b = browser(deps);
  const user = await b.register('Staff');
  await sql(`update users set role = 'staff' where id = ?`, [user.id]);
  return browserCaller(deps ?? testDeps(db.orm), b.jar);
}

let staff: Awaited<ReturnType<typeof staffBrowser>>;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  staff = await staffBrowser();
});
afterAll(() => db?.drop());

describe('a promotion code from staff to a cancelled order', () => {
  it('is created by staff, applied by a guest in any case, kept at sign-up, redeemed at checkout and given back on cancellation', async () => {
    const promotion = await staff.admin.promotion.upsert({ code: 'Spring-20', kind: 'percent', value: 20, usageLimit: 2 });
    expect(promotion).toMatchObject({ code: 'SPRING-20', usedCount: 0, active: true });

    const shopper = browser();
    const product = await createProduct(db.orm.em.fork(), { stock: 9, priceCents: 2_450 });
    await shopper.api.cart.add({ productId: product, quantity: 2 });
    const cart = await shopper.api.cart.applyCode({ code: ' spring-20' });
    expect(cart).toMatchObject({ code: 'SPRING-20', subtotalCents: 4_900, discountCents: 980, totalCents: 3_920, codeProblem: null });

    await shopper.register();
    expect(await shopper.api.cart.get()).toMatchObject({ code: 'SPRING-20', totalCents: 3_920 });
    const order = await shopper.api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
    expect(order).toMatchObject({ code: 'SPRING-20', subtotalCents: 4_900, discountCents: 980, totalCents: 3_920 });
    expect(await shopper.api.cart.get()).toMatchObject({ lines: [], code: null });
    expect(await shopper.api.orders.byId({ id: order.id })).toEqual(order);
    expect((await staff.admin.promotion.list()).find((p) => p.id === promotion.id)?.usedCount).toBe(1);

    await shopper.api.orders.cancel({ id: order.id });
    expect((await staff.admin.promotion.list()).find((p) => p.id === promotion.id)?.usedCount).toBe(0);
  });

  it('once disabled by staff, is NOT_FOUND to apply and CONFLICT at a checkout that still holds it', async () => {
    const promotion = await staff.admin.promotion.upsert({ code: 'SOONOFF', kind: 'fixed', value: 100 });
    const shopper = browser();
    await shopper.register();
    await shopper.api.cart.add({ productId: await createProduct(db.orm.em.fork(), { stock: 3 }) });
    await shopper.api.cart.applyCode({ code: 'soonoff' });
    await staff.admin.promotion.upsert({ id: promotion.id, code: 'SOONOFF', kind: 'fixed', value: 100, active: false });

    expect(await shopper.api.cart.get()).toMatchObject({ code: 'SOONOFF', discountCents: 0, codeProblem: { reason: 'NOT_ACTIVE' } });
    const refused = await errorOf(shopper.api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/SOONOFF is not active/);
    expect((refused.cause as ShopError).details).toEqual({ code: 'SOONOFF', codeProblem: { reason: 'NOT_ACTIVE' } });
    const other = browser();
    const notFound = await errorOf(other.api.cart.applyCode({ code: 'SOONOFF' }));
    expect(notFound.code).toBe('NOT_FOUND');

    expect(await shopper.api.cart.removeCode()).toMatchObject({ code: null, codeProblem: null });
    expect(await shopper.api.checkout.placeOrder({ idempotencyKey: randomUUID(), shippingAddress: ADDRESS })).toMatchObject({
      code: null,
      discountCents: 0,
    });
  });

  it('is CONFLICT to apply below its minimum, with the amount it needs', async () => {
    await staff.admin.promotion.upsert({ code: 'BIGBASKET', kind: 'fixed', value: 1_000, minSubtotalCents: 10_000 });
    const shopper = browser();
    await shopper.api.cart.add({ productId: await createProduct(db.orm.em.fork(), { stock: 3, priceCents: 9_999 }) });
    const refused = await errorOf(shopper.api.cart.applyCode({ code: 'BIGBASKET' }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toBe('the code BIGBASKET needs a subtotal of at least €100.00');
  });
});

describe('bad input', () => {
  it.each([
    ['an empty code', { code: '' }],
    ['a code with a space', { code: 'SAVE 10' }],
    ['a code of 33 characters', { code: 'A'.repeat(33) }],
    ['a number', { code: 10 }],
    ['an unknown field', { code: 'SAVE10', percent: 100 }],
  ])('cart.applyCode refuses %s with BAD_REQUEST and zod issues', async (_name, input) => {
    const error = await errorOf(browser().api.cart.applyCode(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause).toBeInstanceOf(ZodError);
  });

  it.each([
    ['a percentage over 100', { code: 'HALFOFF', kind: 'percent', value: 150 }, 'value', /at most 100/],
    ['a value of 0', { code: 'ZERO', kind: 'fixed', value: 0 }, 'value', /Too small/],
    ['cents with a fraction', { code: 'FRACTION', kind: 'fixed', value: 9.99 }, 'value', /expected int/],
    ['an unknown kind', { code: 'FREEBIE', kind: 'free', value: 1 }, 'kind', /percent|fixed/],
    [
      'an end before the start',
      { code: 'BACKWARDS', kind: 'percent', value: 5, startsAt: '2027-02-01T00:00:00Z', endsAt: '2027-01-01T00:00:00Z' },
      'endsAt',
      /after the start/,
    ],
    ['a date that is not ISO-8601', { code: 'SOMEDAY', kind: 'percent', value: 5, startsAt: 'tomorrow' }, 'startsAt', /ISO-8601/],
    ['a usage limit of 0', { code: 'NEVER', kind: 'percent', value: 5, usageLimit: 0 }, 'usageLimit', /Too small/],
  ])('admin.promotion.upsert refuses %s with BAD_REQUEST naming the field', async (_name, input, field, reason) => {
    const error = await errorOf(staff.admin.promotion.upsert(input as never));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.cause).toBeInstanceOf(ZodError);
    const issue = (error.cause as ZodError).issues.find((i) => i.path[0] === field);
    expect(issue?.message).toMatch(reason);
  });
});

describe('admin.promotion.* and the second factor', () => {
  it('is FORBIDDEN, with the reason, to staff who must enrol one and have not', async () => {
    const api = await staffBrowser(testDeps(db.orm, { mfa: testMfaSettings({ requiredForStaff: true }) }));
    const refused = await errorOf(api.admin.promotion.list());
    expect(refused.code).toBe('FORBIDDEN');
    expect((refused.cause as ShopError).reason).toBe('MFA_ENROLMENT_REQUIRED');
  });
});
