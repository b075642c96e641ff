import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter, SecretBox } from '@shop/auth';
import type { Bus } from '@shop/bus';
import type { ReplicaReads } from '@shop/db';
import type { UserRole } from '@shop/schemas';
import type { CatalogCache } from './catalog/cache.ts';
import type { LiveRegistry } from './live/registry.ts';

/** The signed-in user, as loaded from the database for this request. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  sessionVersion: number;
  /** The account has enrolled a second factor (TOTP). */
  mfa: boolean;
}

/**
 * What services may do to the caller's session. The transport implements it (a cookie over
 * HTTP); services decide when, so procedures stay one line.
 */
export interface SessionPort {
  /** A guest's cart id, if the guest has one. */
  readonly guestCartId: string | null;
  /** This session passed the second factor (at sign-in, or by enrolling one since). */
  readonly mfaVerified: boolean;
  setGuestCart(cartId: string): Promise<void>;
  /** Starts a new session for the user (a fresh cookie: the old one is not reused). */
  signIn(user: Pick<SessionUser, 'id' | 'sessionVersion'>, options?: { mfa?: boolean }): Promise<void>;
  signOut(): void;
}

export interface Limits {
  /** Failed sign-ins per email address. */
  loginByEmail: RateLimiter;
  /** Failed sign-ins per client IP. */
  loginByIp: RateLimiter;
  /** Chat messages per user. */
  chatSend: RateLimiter;
  /** Promotion codes tried per client IP (a code is a secret worth guessing). */
  codeByIp: RateLimiter;
}

/** Second-factor settings, process-wide. */
export interface MfaSettings {
  /** Staff must enrol a second factor before they may use the staff procedures. */
  requiredForStaff: boolean;
  /** Seals TOTP seeds for storage. */
  box: SecretBox;
}

/** What every service call receives first: explicit, no hidden globals. */
export interface ServiceContext {
  /** Forked per call: its identity map lives exactly as long as the call. Reads the primary. */
  em: EntityManager;
  /**
   * Reads that may lag the writes by a replica's replay delay (the catalog's), on the read
   * replicas of DATABASE_REPLICA_URLS, else the primary; process-wide. What a user has just
   * written (cart, wishlist, orders, chat, account) is read through `em`, so it never vanishes.
   */
  replica: ReplicaReads;
  user: SessionUser | null;
  session: SessionPort;
  clientIp: string;
  limits: Limits;
  currency: string;
  /** Live events between instances (chat, order updates). */
  bus: Bus;
  /** Catalog reads shared by every visitor for a moment; process-wide. */
  catalogCache: CatalogCache;
  /** The live streams' shared subscriptions, rechecks and their timer (on `bus`); process-wide. */
  live: LiveRegistry;
  mfa: MfaSettings;
}

export interface AuthedContext extends ServiceContext {
  user: SessionUser;
}

/**
 * A signed-in caller whose user the call has not read: the session's claim (user id and session
 * version), which the service checks in the statement that acts on it, so a revoked session still
 * fails at once; `authenticate` reads the user where a path needs more (the role, the second
 * factor). Saves the user query on a hot call (chat.send).
 */
export interface ClaimedContext extends ServiceContext {
  user: null;
  claim: { userId: string; sessionVersion: number };
  /** The user read as every signed-in call reads it; null once the session is revoked. */
  authenticate(): Promise<AuthedContext | null>;
}
