import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from './testing.ts';
import type { ProcedureCall, ProcedureObserver } from './trpc.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

function recorder() {
  const calls: ProcedureCall[] = [];
  const streams: [string, number][] = [];
  const observer: ProcedureObserver = {
    called: (call) => calls.push(call),
    streaming: (path, delta) => streams.push([path, delta]),
  };
  return { calls, streams, observer };
}

describe('procedure observer', () => {
  it('reports every call with its path, type and outcome', async () => {
    const { calls, observer } = recorder();
    const api = browserCaller(testDeps(db.orm, { observer }), new CookieJar());
    await api.catalog.categories();
    await errorOf(api.catalog.list({ limit: 0 }));
    await errorOf(api.chat.rooms());

    expect(calls.map(({ path, type, error }) => ({ path, type, error }))).toEqual([
      { path: 'catalog.categories', type: 'query', error: null },
      { path: 'catalog.list', type: 'query', error: 'BAD_REQUEST' },
      { path: 'chat.rooms', type: 'query', error: 'UNAUTHORIZED' },
    ]);
    for (const call of calls) expect(call.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('counts a subscription as streaming until it ends, and passes its events through', async () => {
    const { calls, streams, observer } = recorder();
    const api = browserCaller(testDeps(db.orm, { observer }), new CookieJar());
    await api.auth.register({ email: `observer-${randomUUID().slice(0, 8)}@example.test`, password: 'long enough pw', name: 'Obs' });

    const stream = (await api.chat.onMessage({ roomId: 'lobby' }))[Symbol.asyncIterator]();
    const first = stream.next();
    await expect.poll(() => streams).toEqual([['chat.onMessage', 1]]);
    await api.chat.send({ roomId: 'lobby', text: 'hello observers' });
    const event = await first;
    expect(event.done).toBe(false);
    expect(JSON.stringify(event.value)).toContain('hello observers');

    await stream.return?.(undefined);
    expect(streams).toEqual([
      ['chat.onMessage', 1],
      ['chat.onMessage', -1],
    ]);
    expect(calls.filter((c) => c.path === 'chat.onMessage')).toEqual([expect.objectContaining({ type: 'subscription', error: null })]);
  });
});
