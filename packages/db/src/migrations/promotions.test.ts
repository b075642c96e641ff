import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrm, type Orm } from '../orm.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';

// A database as it was before promotions, with an order in it, then migrated.
let db: TestDatabase;
let orm: Orm;
const sql = <T = unknown>(query: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(query, params);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await db.orm.migrator.down({ to: 'Migration20261206201119_email_outbox' });
  orm = await createOrm({ url: db.url });
});
afterAll(async () => {
  await orm?.close(true);
  await db?.drop();
});

describe('the promotions migration', () => {
  it('gives orders placed before it their total as subtotal and no discount', async () => {
    const [user] = await sql<{ id: string }>(
      `insert into users (email, name, password_hash) values ('old@example.test', 'Old', 'h') returning id`,
    );
    await sql(
      `insert into orders (user_id, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
       values (?, 4321, 'EUR', '{}', gen_random_uuid(), 'f')`,
      [user?.id],
    );
    await orm.migrator.up();
    expect(await sql('select subtotal_cents, discount_cents, total_cents, code, promotion_id from orders')).toEqual([
      { subtotal_cents: 4321, discount_cents: 0, total_cents: 4321, code: null, promotion_id: null },
    ]);
    expect(await orm.migrator.getPending()).toEqual([]);
  });
});
