import { User } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorOf, testDeps } from './testing.ts';
import { createContextInner, publicReadProcedure, router } from './trpc.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('publicReadProcedure', () => {
  it('runs raw SQL on an EntityManager that refuses entity loads (nothing kept between calls)', async () => {
    const probe = router({
      sql: publicReadProcedure.query(({ ctx }) => ctx.em.getConnection().execute('select 1 as one')),
      entity: publicReadProcedure.query(({ ctx }) => ctx.em.find(User, {})),
    });
    const ctx = await createContextInner(testDeps(db.orm), { cookieHeader: undefined, clientIp: '198.51.100.1', setCookie: null });
    expect(await probe.createCaller(ctx).sql()).toEqual([{ one: 1 }]);
    expect((await errorOf(probe.createCaller(ctx).entity())).code).toBe('INTERNAL_SERVER_ERROR');
  });
});
