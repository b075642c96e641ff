import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { Order } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codeOf, httpClient, type RedisServer, register, startRedis, startThree, stopAll } from './harness.ts';

// Three server processes on one PostgreSQL database and one Redis, as in production: what a
// checkout may take only so often (a code's uses, a variant's last unit) must hold across
// processes, not only within one.
let db: TestDatabase;
let redis: RedisServer;
let on: (i: number) => string;

const ADDRESS = { name: 'Racer', line1: '1 Rush St', city: 'Paris', postalCode: '75001', country: 'FR' };
const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

/**
 * `count` shoppers, each registered on one instance and filling the cart (`fill`) through the next,
 * then (`oneByOne`, if given) one shopper after another; then all check out at once, each through
 * the one after: every order placed, or the error code.
 */
async function race(
  count: number,
  name: string,
  fill: (api: ReturnType<typeof httpClient>) => Promise<unknown>,
  oneByOne?: (api: ReturnType<typeof httpClient>) => Promise<unknown>,
): Promise<{ outcomes: (Order | string)[]; shoppers: { cookie: string; i: number }[] }> {
  const shoppers = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const cookie = await register(on(i), `${name}${i}`);
      await fill(httpClient(on(i + 1), cookie));
      return { cookie, i };
    }),
  );
  if (oneByOne) for (const { cookie, i } of shoppers) await oneByOne(httpClient(on(i + 1), cookie));
  const outcomes = await Promise.all(
    shoppers.map(({ cookie, i }) =>
      httpClient(on(i + 2), cookie)
        .checkout.placeOrder.mutate({ idempotencyKey: crypto.randomUUID(), shippingAddress: ADDRESS })
        .then(
          (order): Order | string => order,
          (error: unknown) => codeOf(error),
        ),
    ),
  );
  return { outcomes, shoppers };
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, SESSION_SECRET: 'checkout-races-test-secret-0123456789abcdef' };
  ({ on } = await startThree(env));
}, 150_000); // three Node processes starting at once on a busy 2-core machine
afterAll(async () => {
  await stopAll();
  await db?.drop();
});

describe('a code limited to 10 uses, over three instances', () => {
  it('50 racing checkouts: exactly 10 discounted orders, the rest CONFLICT with nothing changed; a cancellation gives a use back', async () => {
    await sql(`insert into categories (slug, name) values ('race', 'Race')`);
    const [product] = await sql<{ id: number }>(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
       values ('race-mug', 'Race Mug', 'x', 2000, 100, (select id from categories where slug = 'race'), '/x.svg') returning id`,
    );
    const [promotion] = await sql<{ id: number }>(
      `insert into promotions (code, kind, value, usage_limit) values ('RACE10', 'fixed', 500, 10) returning id`,
    );
    const productId = product?.id ?? 0;

    // Every shopper has the mug in the cart and the code applied, each through some instance.
    // Codes one shopper after another: codes tried at once from one address count against its guessing limit.
    const { outcomes, shoppers } = await race(
      50,
      'racer',
      (api) => api.cart.add.mutate({ productId }),
      async (api) => expect(await api.cart.applyCode.mutate({ code: 'race10' })).toMatchObject({ code: 'RACE10', totalCents: 1_500 }),
    );
    const placed = outcomes.filter((o): o is Order => typeof o !== 'string');
    expect(outcomes.filter((o) => typeof o === 'string')).toEqual(Array(40).fill('CONFLICT'));
    expect(placed.map((o) => [o.code, o.discountCents, o.totalCents])).toEqual(Array(10).fill(['RACE10', 500, 1_500]));

    const [after] = await sql<{ used: number; stock: number; orders: number; coded: number; lines: number; carts: number }>(
      `select (select used_count from promotions where id = ?) as used, (select stock from products where id = ?) as stock,
              (select count(*)::int from orders) as orders, (select count(*)::int from orders where promotion_id = ?) as coded,
              (select count(*)::int from cart_items where product_id = ?) as lines,
              (select count(*)::int from carts where promotion_id = ?) as carts`,
      [promotion?.id, productId, promotion?.id, productId, promotion?.id],
    );
    // The 40 refused kept their carts (line and code); nothing else moved.
    expect(after).toEqual({ used: 10, stock: 90, orders: 10, coded: 10, lines: 40, carts: 40 });

    const cancelled = placed[0] as Order;
    const owner = shoppers[outcomes.indexOf(cancelled)] as { cookie: string; i: number };
    await httpClient(on(owner.i + 1), owner.cookie).orders.cancel.mutate({ id: cancelled.id });
    const refused = shoppers[outcomes.indexOf('CONFLICT')] as { cookie: string; i: number };
    const second = await httpClient(on(refused.i), refused.cookie).checkout.placeOrder.mutate({
      idempotencyKey: crypto.randomUUID(),
      shippingAddress: ADDRESS,
    });
    expect(second).toMatchObject({ code: 'RACE10', discountCents: 500 });
    const [used] = await sql<{ used_count: number }>('select used_count from promotions where id = ?', [promotion?.id]);
    expect(used?.used_count).toBe(10);
  }, 120_000);
});

describe('the last unit of one variant, over three instances', () => {
  it('30 racing checkouts of size M (1 left): exactly one order, the rest CONFLICT; size S keeps its stock', async () => {
    await sql(`insert into categories (slug, name) values ('race', 'Race') on conflict do nothing`);
    const [product] = await sql<{ id: number }>(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
       values ('race-tee', 'Race Tee', 'x', 2000, 0, (select id from categories where slug = 'race'), '/x.svg') returning id`,
    );
    const productId = product?.id ?? 0;
    await sql('delete from product_variants where product_id = ?', [productId]);
    const [, medium] = await sql<{ id: number }>(
      `insert into product_variants (product_id, sku, options, price_cents, stock) values
       (?, 'RACE-S', '{"Size":"S"}', 2000, 5), (?, 'RACE-M', '{"Size":"M"}', 2200, 1) returning id`,
      [productId, productId],
    );

    const { outcomes } = await race(30, 'variant-racer', (api) => api.cart.add.mutate({ productId, variantId: medium?.id ?? 0 }));
    expect(outcomes.filter((o) => typeof o === 'string')).toEqual(Array(29).fill('CONFLICT'));
    const placed = outcomes.filter((o): o is Order => typeof o !== 'string');
    expect(placed.map((o) => o.lines.map((l) => [l.variantId, l.options, l.quantity]))).toEqual([[[medium?.id, { Size: 'M' }, 1]]]);

    const stock = await sql<{ sku: string; stock: number }>('select sku, stock from product_variants where product_id = ? order by sku', [
      productId,
    ]);
    expect(stock).toEqual([
      { sku: 'RACE-M', stock: 0 },
      { sku: 'RACE-S', stock: 5 },
    ]);
    const [after] = await sql<{ stock: number; units: number }>(
      `select (select stock from products where id = ?) as stock,
              (select coalesce(sum(quantity), 0)::int from order_lines where variant_id = ?) as units`,
      [productId, medium?.id],
    );
    expect(after).toEqual({ stock: 5, units: 1 });
  }, 120_000);
});
