import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrationsList } from './migrations/index.ts';
import { createOrm, migrate, type Orm } from './orm.ts';
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
