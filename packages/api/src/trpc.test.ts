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
  it('gives each call its own EntityManager and a session it cannot write', async () => {
    const seen: unknown[] = [];
    const probe = router({
      users: publicReadProcedure.query(async ({ ctx }) => {
        seen.push(ctx.em);
        return (await ctx.em.find(User, {})).length;
      }),
      signOut: publicReadProcedure.query(({ ctx }) => ctx.session.signOut()),
    });
    const cookies: string[] = [];
    const ctx = await createContextInner(testDeps(db.orm), {
      cookieHeader: undefined,
      clientIp: '198.51.100.1',
      setCookie: (value) => cookies.push(value),
    });
    const caller = probe.createCaller(ctx);
    expect(await caller.users()).toBe(0);
    expect(await caller.users()).toBe(0);
    expect(seen[0]).not.toBe(seen[1]);
    expect(seen[0]).not.toBe(db.orm.em);
    // A public answer may be cached for everyone: no Set-Cookie can come from it.
    expect((await errorOf(caller.signOut())).code).toBe('INTERNAL_SERVER_ERROR');
    expect(cookies).toEqual([]);
  });
});
