import { randomUUID } from 'node:crypto';
import { createSessionCodec, readCookie, SESSION_COOKIE } from '@shop/auth';
import { createMemoryBus } from '@shop/bus';
import { type Orm, replicaReads } from '@shop/db';
import { catalog, createLimits, createLiveRegistry, type Limits } from '@shop/domain';
import { testMfaSettings } from '@shop/domain/testing';
import { TRPCError } from '@trpc/server';
import { expect } from 'vitest';
import { createCaller } from './root.ts';
import { type ContextDeps, createContextInner } from './trpc.ts';

export const TEST_SESSION_SECRET = 'test-session-secret-that-is-long-enough-000';

/** Keeps the session cookie between calls, like a browser. */
export class CookieJar {
  value: string | undefined;
  get header(): string | undefined {
    return this.value ? `${SESSION_COOKIE}=${this.value}` : undefined;
  }
  set(setCookie: string): void {
    const value = readCookie(setCookie.split(';')[0], SESSION_COOKIE);
    this.value = value || undefined;
  }
}

/** One app's dependencies; `live` runs on the given `bus` (or `bus` is the given registry's). */
export function testDeps(orm: Orm, overrides: Partial<ContextDeps> = {}): ContextDeps {
  const bus = overrides.bus ?? overrides.live?.bus ?? createMemoryBus();
  return {
    orm,
    replica: replicaReads(orm),
    codec: createSessionCodec({ secrets: [TEST_SESSION_SECRET], secure: false }),
    limits: createLimits() as Limits,
    currency: 'EUR',
    bus,
    catalogCache: catalog.noCatalogCache,
    live: overrides.live ?? createLiveRegistry(bus),
    mfa: testMfaSettings(),
    ...overrides,
  };
}

/** A caller that behaves like one browser: every call sends and updates the same cookie jar. */
export function browserCaller(deps: ContextDeps, jar = new CookieJar(), clientIp = '198.51.100.1') {
  return createCaller(() => createContextInner(deps, { cookieHeader: jar.header, clientIp, setCookie: (v) => jar.set(v) }));
}

/**
 * A browser signed in as a newly registered user (staff are promoted with SQL afterwards), on a
 * caller over `deps`: browsers given the same `deps` share one app, so its bus and live streams.
 */
export async function signedIn(orm: Orm, role: 'shopper' | 'staff', deps: ContextDeps = testDeps(orm)) {
  const jar = new CookieJar();
  const user = await browserCaller(testDeps(orm), jar).auth.register({
    email: `${role}-${randomUUID().slice(0, 8)}@example.test`,
    password: 'long enough pw',
    name: role,
  });
  if (role === 'staff') await orm.em.fork().getConnection().execute(`update users set role = 'staff' where id = ?`, [user.id]);
  // A caller made after the change, so the role is read with it.
  return { api: browserCaller(deps, jar), user };
}

/** The TRPCError a call fails with; fails the test if it succeeds or throws something else. */
export async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}
