import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { Order } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { httpClient, type RedisServer, register, type ShopInstance, startInstance, startRedis, stopAll } from './harness.ts';

// Three server processes on one PostgreSQL database and one Redis, as in production: the usage
// limit of a code must hold across processes, not only within one.
let db: TestDatabase;
let redis: RedisServer;
let instances: ShopInstance[];

const ADDRESS = { name: 'Racer', line1: '1 Rush St', city: 'Paris', postalCode: '75001', country: 'FR' };
const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);
const on = (i: number) => (instances[i % instances.length] as ShopInstance).url;
const codeOf = (error: unknown) => (error as { data?: { code?: string } }).data?.code ?? String(error);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, SESSION_SECRET: 'promotion-race-test-secret-0123456789abcdef' };
  instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, env)));
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
    const shoppers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const cookie = await register(on(i), `racer${i}`);
        const api = httpClient(on(i + 1), cookie);
        await api.cart.add.mutate({ productId });
        return { cookie, i };
      }),
    );
    // One after another: codes tried at once from one address count against its guessing limit.
    for (const { cookie, i } of shoppers)
      expect(await httpClient(on(i + 1), cookie).cart.applyCode.mutate({ code: 'race10' })).toMatchObject({
        code: 'RACE10',
        totalCents: 1_500,
      });

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
