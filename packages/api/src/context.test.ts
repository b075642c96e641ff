import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDeps } from './testing.ts';
import { createContextInner } from './trpc.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('createContextInner', () => {
  it('reads the session from the cookie and keeps the session, not the cookie header', async () => {
    const deps = testDeps(db.orm);
    const now = Date.now();
    const sealed = (await deps.codec.write({ uid: 'u-1', sv: 1, iat: now, seen: now })).split(';')[0] ?? '';
    const ctx = await createContextInner(deps, { cookieHeader: `theme=dark; ${sealed}`, clientIp: '198.51.100.7', setCookie: null });
    expect(ctx.sessionData).toMatchObject({ uid: 'u-1', sv: 1 });
    expect(ctx.req).toEqual({ clientIp: '198.51.100.7', setCookie: null });
    // A WebSocket's context lives as long as the socket: the header must not ride along.
    expect(JSON.stringify(ctx.req)).not.toContain(sealed.slice(0, 40));
  });
});
