import type { EntityManager } from '@mikro-orm/postgresql';
import type { RateLimiter } from '@shop/auth';
import type { Bus } from '@shop/bus';
import type { UserRole } from '@shop/schemas';
import type { CatalogCache } from './catalog/cache.ts';

/** The signed-in user, as loaded from the database for this request. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  sessionVersion: number;
}

/**
 * What services may do to the caller's session. The transport implements it (a cookie over
 * HTTP); services decide when, so procedures stay one line.
 */
export interface SessionPort {
  /** A guest's cart id, if the guest has one. */
  readonly guestCartId: string | null;
  setGuestCart(cartId: string): Promise<void>;
  /** Starts a new session for the user (a fresh cookie: the old one is not reused). */
  signIn(user: Pick<SessionUser, 'id' | 'sessionVersion'>): Promise<void>;
  signOut(): void;
}

export interface Limits {
  /** Failed sign-ins per email address. */
  loginByEmail: RateLimiter;
  /** Failed sign-ins per client IP. */
  loginByIp: RateLimiter;
  /** Chat messages per user. */
  chatSend: RateLimiter;
}

/** What every service call receives first: explicit, no hidden globals. */
export interface ServiceContext {
  /** Forked per call: its identity map lives exactly as long as the call. */
  em: EntityManager;
  user: SessionUser | null;
  session: SessionPort;
  clientIp: string;
  limits: Limits;
  currency: string;
  /** Live events between instances (chat, order updates). */
  bus: Bus;
  /** Catalog reads shared by every visitor for a moment; process-wide. */
  catalogCache: CatalogCache;
}

export interface AuthedContext extends ServiceContext {
  user: SessionUser;
}
