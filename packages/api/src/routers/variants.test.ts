// Variants over tRPC: the errors clients see (with their reasons), a guest's variant lines merged
// at sign-in through the cookie, and staff editing options and variants.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { ShopError } from '@shop/domain';
import { createCategory, createProduct, setVariants } from '@shop/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, signedIn, testDeps } from '../testing.ts';
import type { ContextDeps } from '../trpc.ts';

let db: TestDatabase;
let deps: ContextDeps;
let product: number;
let small: number;
let large: number;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  deps = testDeps(db.orm);
  await createCategory(db.orm.em.fork(), 'apparel', 'Apparel');
  product = await createProduct(db.orm.em.fork(), { stock: 0, name: 'Api Hoodie' });
  [small = 0, large = 0] = await setVariants(db.orm.em.fork(), product, [
    { options: { Size: 'S' }, stock: 3, priceCents: 3_000 },
    { options: { Size: 'L' }, stock: 1, priceCents: 3_200 },
  ]);
});
afterAll(() => db?.drop());

describe('cart procedures and variants', () => {
  it('answer BAD_REQUEST with the reason when a product with several variants is named without one', async () => {
    const api = browserCaller(deps, new CookieJar());
    // One call at a time: a rejection nobody awaits yet would be reported as unhandled.
    for (const call of [
      () => api.cart.add({ productId: product }),
      () => api.cart.update({ productId: product, quantity: 1 }),
      () => api.cart.remove({ productId: product }),
    ]) {
      const error = await errorOf(call());
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/2 variants: say which one/);
      // The SPA sends the shopper to choose options on this reason, not on any BAD_REQUEST.
      expect((error.cause as ShopError | undefined)?.reason).toBe('VARIANT_REQUIRED');
    }
    expect((await errorOf(api.cart.add({ productId: product, variantId: 2_147_483_647 }))).code).toBe('NOT_FOUND');
    expect((await errorOf(api.cart.add({ productId: product, variantId: large, quantity: 2 }))).code).toBe('CONFLICT');
  });

  it("merge a guest's variant lines into the account at sign-in", async () => {
    const account = await signedIn(db.orm, 'shopper', deps);
    await account.api.cart.add({ productId: product, variantId: large });
    await account.api.auth.logout();

    const jar = new CookieJar();
    const guest = browserCaller(deps, jar);
    await guest.cart.add({ productId: product, variantId: small, quantity: 2 });
    await guest.cart.add({ productId: product, variantId: large });
    await guest.auth.login({ email: account.user.email, password: 'long enough pw' });
    const cart = await guest.cart.get();
    // L: 1 in the account's cart and 1 from the guest's, clipped to the 1 in stock.
    expect(cart.lines.map((l) => [l.variantId, l.options, l.quantity])).toEqual([
      [large, { Size: 'L' }, 1],
      [small, { Size: 'S' }, 2],
    ]);
  });
});

describe('admin procedures and variants', () => {
  it('refuse variants that do not fit the options with BAD_REQUEST and the zod issues', async () => {
    const staff = await signedIn(db.orm, 'staff', deps);
    const error = await errorOf(
      staff.api.admin.product.upsert({
        slug: 'bad-tee',
        name: 'Bad Tee',
        description: '',
        priceCents: 1,
        categorySlug: 'apparel',
        options: [{ name: 'Size', values: ['S'] }],
        variants: [{ sku: 'BAD-XL', options: { Size: 'XL' }, priceCents: 1, stock: 0 }],
      }),
    );
    expect(error.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(error.cause)).toContain('one value of each option');
  });

  it("adjust one variant's stock, which the product sums", async () => {
    const staff = await signedIn(db.orm, 'staff', deps);
    const after = await staff.api.admin.product.adjustStock({ productId: product, variantId: small, delta: -2 });
    expect(after.variants.map((v) => [v.id, v.stock])).toContainEqual([small, 1]);
    expect(after.stock).toBe(after.variants.reduce((sum, v) => sum + v.stock, 0));
  });
});
