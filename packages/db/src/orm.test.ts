import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrationsList } from './migrations/index.ts';
import { createOrm, migrate, type Orm, warmPool } from './orm.ts';
import { createTestDatabase, type TestDatabase } from './testing/database.ts';

describe('migrate', () => {
  let db: TestDatabase;
  const orms: Orm[] = [];
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'), { migrated: false });
  });
  afterAll(async () => {
    await Promise.all(orms.map((orm) => orm.close(true)));
    await db?.drop();
  });

  it('lets four migrators start together on a fresh database: one applies everything, the others wait and find nothing left', async () => {
    // As a Deployment's pods and the migration Job do on a first install.
    for (let i = 0; i < 4; i++) orms.push(await createOrm({ url: db.url, poolMax: 2 }));
    const results = await Promise.all(orms.map((orm) => migrate(orm)));
    const names = migrationsList.map((m) => m.name);
    expect(results.filter((applied) => applied.length > 0)).toEqual([names]);
    expect(results.filter((applied) => applied.length === 0)).toHaveLength(3);
    const rows = await db.orm.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
    expect(rows.map((r) => r.name)).toEqual(names);
    // The lock is released with each migrator's session: a later migrate does not wait forever.
    expect(await migrate(db.orm)).toEqual([]);
  });
});

describe('warmPool', () => {
  let db: TestDatabase;
  let orm: Orm | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
  });
  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it("opens the pool's minimum of connections at once", async () => {
    // Client connections to this test's own database, but for the one asking.
    const backends = async () => {
      const [row] = await db.orm.em.getConnection().execute<{ n: number }[]>(
        `select count(*)::int as n from pg_stat_activity
           where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      return row?.n ?? 0;
    };
    const before = await backends();
    orm = await createOrm({ url: db.url, poolMax: 6, poolMin: 4 });
    expect(await warmPool(orm)).toEqual([]);
    // Whether or not MikroORM's start-up check opened one, the pool now holds four, no more.
    expect((await backends()) - before).toBe(4);
  });
});
