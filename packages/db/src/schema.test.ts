import { sleep } from '@shop/proc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from './seed/demo.ts';
import { generateProducts } from './seed/generate.ts';
import { isSeeded } from './seed/seed.ts';
import { createTestDatabase, type TestDatabase } from './testing/index.ts';

let db: TestDatabase;
const sql = <T = unknown>(query: string, params: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(query, params);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('migrations', () => {
  it('leave no difference between the entities and the database', async () => {
    const diff = await db.orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('are all applied and none is pending', async () => {
    expect(await db.orm.migrator.getPending()).toEqual([]);
    expect((await db.orm.migrator.getExecuted()).length).toBeGreaterThan(0);
  });

  it('index every reference to a variant, so removing one reads no table whole', async () => {
    const unindexed = await sql<{ table: string; column: string }>(
      `select c.conrelid::regclass::text as table, a.attname as column
       from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
       where c.contype = 'f' and c.confrelid = 'product_variants'::regclass
         and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])
       order by 1`,
    );
    expect(unindexed).toEqual([]);
  });

  it('create the lobby chat room', async () => {
    expect(await sql(`select id, kind from chat_rooms`)).toEqual([{ id: 'lobby', kind: 'lobby' }]);
  });
});

describe('constraints the database enforces', () => {
  beforeAll(async () => {
    await seedDemo(db.orm.em.fork(), { products: 50, accounts: true });
  });

  it('never lets stock go below zero', async () => {
    const [product] = await sql<{ id: number; stock: number }>('select id, stock from products order by id limit 1');
    await expect(sql('update products set stock = stock - ? where id = ?', [(product?.stock ?? 0) + 1, product?.id])).rejects.toThrow(
      /products_stock_check/,
    );
  });

  it('refuses negative prices', async () => {
    await expect(sql('update products set price_cents = -1 where id = (select min(id) from products)')).rejects.toThrow(
      /price_cents_check/,
    );
  });

  it('keeps emails lower-case and unique', async () => {
    await expect(sql(`insert into users (email, name, password_hash) values ('Mixed@Case.test', 'x', 'h')`)).rejects.toThrow(
      /users_email_check/,
    );
    await expect(sql(`insert into users (email, name, password_hash) values ('shopper@shop.test', 'x', 'h')`)).rejects.toThrow(
      /users_email_unique/,
    );
  });

  it('never lets a promotion be used more often than its limit, or fewer than zero times', async () => {
    const [promo] = await sql<{ id: number }>(
      `insert into promotions (code, kind, value, usage_limit, used_count) values ('LIMITED', 'fixed', 100, 2, 2) returning id`,
    );
    await expect(sql('update promotions set used_count = used_count + 1 where id = ?', [promo?.id])).rejects.toThrow(
      /promotions_used_count_check/,
    );
    await expect(sql('update promotions set usage_limit = 1 where id = ?', [promo?.id])).rejects.toThrow(/promotions_used_count_check/);
    await expect(sql('update promotions set used_count = -1, usage_limit = null where id = ?', [promo?.id])).rejects.toThrow(
      /promotions_used_count_check/,
    );
  });

  it('keeps promotion codes upper-case and unique, and percentages within 1–100', async () => {
    await expect(sql(`insert into promotions (code, kind, value) values ('Mixed10', 'percent', 10)`)).rejects.toThrow(
      /promotions_code_check/,
    );
    await sql(`insert into promotions (code, kind, value) values ('ONCE', 'percent', 10)`);
    await expect(sql(`insert into promotions (code, kind, value) values ('ONCE', 'fixed', 10)`)).rejects.toThrow(/promotions_code_unique/);
    await expect(sql(`insert into promotions (code, kind, value) values ('TOOMUCH', 'percent', 101)`)).rejects.toThrow(
      /promotions_value_check/,
    );
    // A fixed amount is in cents: above 100 is fine.
    await sql(`insert into promotions (code, kind, value) values ('FIVEEUR', 'fixed', 500)`);
  });

  it('keeps an order total equal to its subtotal less its discount', async () => {
    const [user] = await sql<{ id: string }>(`select id from users where email = 'staff@shop.test'`);
    await expect(
      sql(
        `insert into orders (user_id, subtotal_cents, discount_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
         values (?, 1000, 100, 1000, 'EUR', '{}', gen_random_uuid(), 'f')`,
        [user?.id],
      ),
    ).rejects.toThrow(/orders_total_check/);
  });

  it('allows one order per user and idempotency key', async () => {
    const [user] = await sql<{ id: string }>(`select id from users where email = 'shopper@shop.test'`);
    const insert = () =>
      sql(
        `insert into orders (user_id, subtotal_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
         values (?, 100, 100, 'EUR', '{}', '00000000-0000-4000-8000-000000000001', 'f')`,
        [user?.id],
      );
    await insert();
    await expect(insert()).rejects.toThrow(/orders_user_idempotency_unique/);
    const [order] = await sql<{ number: string }>('select number from orders');
    expect(Number(order?.number)).toBeGreaterThanOrEqual(100_001);
  });
});

describe('seed', () => {
  it('is deterministic for a seed and a clock', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const a = [...generateProducts(200, 7, now)];
    const b = [...generateProducts(200, 7, now)];
    expect(a).toEqual(b);
    expect(new Set(a.map((p) => p.slug)).size).toBe(200);
    expect([...generateProducts(200, 8, now)]).not.toEqual(a);
  });

  it('loads categories, products in order, and the demo accounts with argon2id hashes', async () => {
    expect(await isSeeded(db.orm.em.fork())).toBe(true);
    const [counts] = await sql<{ categories: number; products: number; users: number }>(
      `select (select count(*)::int from categories) as categories, (select count(*)::int from products) as products,
              (select count(*)::int from users) as users`,
    );
    expect(counts).toEqual({ categories: 12, products: 50, users: 2 });
    const [first] = await sql<{ slug: string }>('select slug from products order by id limit 1');
    expect(first?.slug).toMatch(/-1$/);
    const users = await sql<{ email: string; role: string; password_hash: string }>(
      'select email, role, password_hash from users order by email',
    );
    expect(users.map((u) => [u.email, u.role])).toEqual([
      ['shopper@shop.test', 'shopper'],
      ['staff@shop.test', 'staff'],
    ]);
    expect(users.every((u) => u.password_hash.startsWith('$argon2id$'))).toBe(true);
    expect(await sql(`select code, kind, value, active, usage_limit from promotions where code = 'WELCOME10'`)).toEqual([
      { code: 'WELCOME10', kind: 'percent', value: 10, active: true, usage_limit: null },
    ]);
  });
});

describe('seeded variants', () => {
  it('give apparel sizes and colours and bath goods colours, every other product one variant; products carry their aggregates', async () => {
    const byCategory = await sql<{ category: string; options: string[]; variants: number }>(
      `select c.slug as category, (select coalesce(array_agg(o.name order by o.position), '{}') from product_options o where o.product_id = p.id) as options,
              (select count(*)::int from product_variants v where v.product_id = p.id) as variants
       from products p join categories c on c.id = p.category_id order by p.id`,
    );
    for (const product of byCategory) {
      if (product.category === 'apparel') {
        expect(product.options).toEqual(['Size', 'Colour']);
        expect(product.variants).toBeGreaterThanOrEqual(7);
      } else if (product.category === 'bath') {
        expect(product).toMatchObject({ options: ['Colour'], variants: 3 });
      } else {
        expect(product).toMatchObject({ options: [], variants: 1 });
      }
    }
    expect(byCategory.filter((p) => p.category === 'apparel').length).toBeGreaterThan(0);
    const mismatched = await sql(
      `select p.id from products p join (select product_id, min(price_cents) as price, sum(stock)::int as stock from product_variants group by 1) a
         on a.product_id = p.id
       where (p.price_cents, p.stock) is distinct from (a.price, a.stock)`,
    );
    expect(mismatched).toEqual([]);
    // The variants' keys, dropped for the load, are all back.
    expect((await db.orm.schema.getUpdateSchemaSQL({ wrap: false })).trim()).toBe('');
  });
});

describe('category counts under concurrent writers', () => {
  it('never deadlocks two inserts into one category, and counts both', async () => {
    const connect = async () => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      return client;
    };
    const [holder, a, b] = await Promise.all([connect(), connect(), connect()]);
    try {
      const [category] = await sql<{ id: number; product_count: number }>(
        `insert into categories (slug, name) values ('concurrency', 'Concurrency') returning id, product_count`,
      );
      if (!category) throw new Error('no category');
      // A third transaction holds the category row (a rename): both inserts pass their foreign-key
      // check (a key-share lock) and then queue for the count. Asking for FOR UPDATE there, the two
      // waited on each other's key-share lock: "deadlock detected".
      await holder.query('begin');
      await holder.query(`update categories set name = name where id = $1`, [category.id]);
      const insert = (client: pg.Client, slug: string) =>
        client.query(
          `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
           values ($1, 'Concurrent Insert', 'x', 100, 1, $2, '/x.svg')`,
          [slug, category.id],
        );
      const inserts = Promise.allSettled([insert(a, 'concurrent-a'), insert(b, 'concurrent-b')]);
      await sleep(200);
      await holder.query('commit');
      const outcomes = await inserts;
      expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual(['ok', 'ok']);
      const [after] = await sql<{ product_count: number; actual: number }>(
        `select product_count, (select count(*)::int from products where category_id = ?) as actual from categories where id = ?`,
        [category.id, category.id],
      );
      expect(after?.product_count).toBe(after?.actual);
      expect(after?.product_count).toBe(category.product_count + 2);
    } finally {
      await Promise.all([holder.end(), a.end(), b.end()]);
    }
  });
});
