import type { EntityManager } from '@mikro-orm/postgresql';
import { SESSION_REFRESH_MS, type SessionCodec, type SessionData } from '@shop/auth';
import { auth, type SessionPort, type SessionUser } from '@shop/domain';

/** What the transport tells the API about one request. */
export interface RequestInfo {
  cookieHeader: string | undefined;
  clientIp: string;
  /** Adds a Set-Cookie header to the response; null where none can be sent (WebSocket). */
  setCookie: ((value: string) => void) | null;
}

const USER_CACHE_MS = 2_000;

/**
 * Users by id for a moment, so a burst of requests costs one lookup. Revocation reaches every
 * instance within USER_CACHE_MS; this instance forgets a user at once when it signs them out.
 */
export class UserCache {
  readonly #entries = new Map<string, { user: SessionUser | null; version: number; expires: number }>();

  async get(em: EntityManager, id: string, version: number): Promise<SessionUser | null> {
    const now = Date.now();
    const hit = this.#entries.get(id);
    if (hit && hit.expires > now && hit.version === version) return hit.user;
    const user = await auth.loadSessionUser({ em }, id, version);
    if (this.#entries.size > 10_000) this.#entries.clear();
    this.#entries.set(id, { user, version, expires: now + USER_CACHE_MS });
    return user;
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }
}

/** The cookie-backed SessionPort for one request. */
export function cookieSession(codec: SessionCodec, req: RequestInfo, data: SessionData | null, users: UserCache): SessionPort {
  const write = async (next: SessionData) => {
    if (!req.setCookie) throw new Error('the session cannot change over a WebSocket; use HTTP');
    req.setCookie(await codec.write(next));
  };
  return {
    guestCartId: data && !data.uid ? (data.cart ?? null) : null,
    async setGuestCart(cartId) {
      const now = codec.now();
      await write({ cart: cartId, iat: data?.iat ?? now, seen: now });
    },
    async signIn(user) {
      // A fresh issue time: the session (and its absolute lifetime) starts anew at sign-in.
      const now = codec.now();
      await write({ uid: user.id, sv: user.sessionVersion, iat: now, seen: now });
    },
    signOut() {
      if (data?.uid) users.forget(data.uid);
      if (!req.setCookie) throw new Error('the session cannot change over a WebSocket; use HTTP');
      req.setCookie(codec.clear());
    },
  };
}

/** Resolves the session's user; drops a revoked cookie and slides the idle timeout of a live one. */
export async function resolveUser(
  codec: SessionCodec,
  req: RequestInfo,
  data: SessionData | null,
  em: EntityManager,
  users: UserCache,
): Promise<SessionUser | null> {
  if (!data?.uid || data.sv === undefined) return null;
  const user = await users.get(em, data.uid, data.sv);
  if (!user) {
    req.setCookie?.(codec.clear());
    return null;
  }
  const now = codec.now();
  if (req.setCookie && now - data.seen > SESSION_REFRESH_MS) req.setCookie(await codec.write({ ...data, seen: now }));
  return user;
}
