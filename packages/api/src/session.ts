import type { EntityManager } from '@mikro-orm/postgresql';
import { SESSION_REFRESH_MS, type SessionCodec, type SessionData } from '@shop/auth';
import { auth, type SessionPort, type SessionUser } from '@shop/domain';

/** What the transport tells the API about one request. */
export interface RequestInfo extends RequestTransport {
  cookieHeader: string | undefined;
}

/** What the context keeps of the request once the cookie has been read. */
export interface RequestTransport {
  clientIp: string;
  /** Adds a Set-Cookie header to the response; null where none can be sent (WebSocket). */
  setCookie: ((value: string) => void) | null;
}

/** The cookie-backed SessionPort for one request. */
export function cookieSession(codec: SessionCodec, req: RequestTransport, data: SessionData | null): SessionPort {
  const write = async (next: SessionData) => {
    if (!req.setCookie) throw new Error('the session cannot change over a WebSocket; use HTTP');
    req.setCookie(await codec.write(next));
  };
  return {
    guestCartId: data && !data.uid ? (data.cart ?? null) : null,
    mfaVerified: Boolean(data?.uid && data.mfa),
    async setGuestCart(cartId) {
      const now = codec.now();
      await write({ cart: cartId, iat: data?.iat ?? now, seen: now });
    },
    async signIn(user, { mfa = false } = {}) {
      // A fresh issue time: the session (and its absolute lifetime) starts anew at sign-in.
      const now = codec.now();
      await write({ uid: user.id, sv: user.sessionVersion, ...(mfa ? { mfa } : {}), iat: now, seen: now });
    },
    signOut() {
      if (!req.setCookie) throw new Error('the session cannot change over a WebSocket; use HTTP');
      req.setCookie(codec.clear());
    },
  };
}

/**
 * Resolves the session's user; drops a revoked cookie and slides the idle timeout of a live one.
 * The user is read on every request (one primary-key lookup), never cached: a sign-out or
 * revocation ends the session on every instance at once.
 */
export async function resolveUser(
  codec: SessionCodec,
  req: RequestTransport,
  data: SessionData | null,
  em: EntityManager,
): Promise<SessionUser | null> {
  if (!data?.uid || data.sv === undefined) return null;
  const user = await auth.loadSessionUser(em.getConnection(), data.uid, data.sv);
  if (!user) {
    req.setCookie?.(codec.clear());
    return null;
  }
  const now = codec.now();
  if (req.setCookie && now - data.seen > SESSION_REFRESH_MS) req.setCookie(await codec.write({ ...data, seen: now }));
  return user;
}
