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

  it('allows one order per user and idempotency key', async () => {
    const [user] = await sql<{ id: string }>(`select id from users where email = 'shopper@shop.test'`);
    const insert = () =>
      sql(
        `insert into orders (user_id, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
         values (?, 100, 'EUR', '{}', '00000000-0000-4000-8000-000000000001', 'f')`,
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
