import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createSecretBox } from '@shop/auth';
import { type Bus, createMemoryBus } from '@shop/bus';
import { type Orm, type ReplicaReads, replicaReads } from '@shop/db';
import type { UserRole } from '@shop/schemas';
import { loadSessionUser } from '../auth/auth.service.ts';
import { type CatalogCache, noCatalogCache } from '../catalog/cache.ts';
import type { AuthedContext, ClaimedContext, Limits, MfaSettings, ServiceContext, SessionPort, SessionUser } from '../context.ts';
import { createLimits } from '../limits.ts';
import { createLiveRegistry, type LiveRegistry } from '../live/registry.ts';

/** A SessionPort that keeps its state in memory, standing in for the cookie transport. */
export class MemorySession implements SessionPort {
  guestCartId: string | null = null;
  signedIn: Pick<SessionUser, 'id' | 'sessionVersion'> | null = null;
  mfaVerified = false;
  async setGuestCart(cartId: string) {
    this.guestCartId = cartId;
  }
  async signIn(user: Pick<SessionUser, 'id' | 'sessionVersion'>, { mfa = false } = {}) {
    this.signedIn = user;
    this.mfaVerified = mfa;
    this.guestCartId = null;
  }
  signOut() {
    this.signedIn = null;
    this.mfaVerified = false;
    this.guestCartId = null;
  }
}

/** Second-factor settings for tests: enrolment optional, seeds sealed with a fixed test key. */
export function testMfaSettings(overrides: Partial<MfaSettings> = {}): MfaSettings {
  return { requiredForStaff: false, box: createSecretBox(['test-secret-box-key-that-is-long-enough-000']), ...overrides };
}

/** A service context for tests: its own EntityManager fork and in-memory session and limits. */
export function testContext(
  orm: Orm,
  options: {
    user?: SessionUser | null;
    session?: MemorySession;
    clientIp?: string;
    bus?: Bus;
    catalogCache?: CatalogCache;
    /** Share one across the contexts of a test, as a process does (its bus is then the default `bus`). */
    live?: LiveRegistry;
    mfa?: MfaSettings;
    /** Default: the ORM's replicas, if it has any, else its primary. */
    replica?: ReplicaReads;
    /** Share one across the contexts of a test, as a process does (default: fresh ones). */
    limits?: Limits;
  } = {},
): ServiceContext {
  const bus = options.bus ?? options.live?.bus ?? createMemoryBus();
  return {
    em: orm.em.fork(),
    replica: options.replica ?? replicaReads(orm),
    user: options.user ?? null,
    session: options.session ?? new MemorySession(),
    clientIp: options.clientIp ?? '203.0.113.7',
    limits: options.limits ?? createLimits(),
    currency: 'EUR',
    bus,
    catalogCache: options.catalogCache ?? noCatalogCache,
    live: options.live ?? createLiveRegistry(bus),
    mfa: options.mfa ?? testMfaSettings(),
  };
}

/** A signed-in caller's context for tests: `testContext` with `user` set and typed as such. */
export function authedContext(orm: Orm, user: SessionUser, options: Omit<Parameters<typeof testContext>[1], 'user'> = {}): AuthedContext {
  return { ...testContext(orm, { ...options, user }), user };
}

/** The same caller as `claimedProcedure` passes it: the session's claim, the user read on demand. */
export function claimedContext(orm: Orm, user: SessionUser, options: Omit<Parameters<typeof testContext>[1], 'user'> = {}): ClaimedContext {
  const base = testContext(orm, options);
  return {
    ...base,
    user: null,
    claim: { userId: user.id, sessionVersion: user.sessionVersion },
    async authenticate() {
      const current = await loadSessionUser(base.em.getConnection(), user.id, user.sessionVersion);
      return current ? { ...base, user: current } : null;
    },
  };
}

/** Inserts a user directly (no password hashing cost); returns it as a session would see it. */
export async function createTestUser(em: EntityManager, role: UserRole = 'shopper', name = 'Test User'): Promise<SessionUser> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const [row] = await em
    .getConnection()
    .execute<{ id: string; session_version: number }[]>(
      `insert into users (email, name, role, password_hash) values (?, ?, ?, 'x') returning id, session_version`,
      [email, name, role],
    );
  if (!row) throw new Error('user insert returned nothing');
  return { id: row.id, email, name, role, sessionVersion: row.session_version, mfa: false };
}
