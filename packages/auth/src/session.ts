import { sealData, unsealData } from 'iron-session';

/**
 * What the session cookie holds: only what identifies the session. The user's role and name are
 * read from the database per request, so a change there takes effect at once.
 */
export interface SessionData {
  /** Signed-in user's id. */
  uid?: string;
  /** The user's session version when the session was issued; bumping it revokes every copy. */
  sv?: number;
  /** The second factor was verified at this sign-in (or since, by enrolling one). */
  mfa?: boolean;
  /** A guest's cart id (guests only). */
  cart?: string;
  /** Issued at, ms since the epoch: bounds the absolute lifetime. */
  iat: number;
  /** Last seen, ms since the epoch: bounds the idle time. Refreshed at most hourly. */
  seen: number;
}

export const SESSION_COOKIE = 'shop_session';
export const SESSION_ABSOLUTE_MS = 30 * 24 * 3600 * 1000;
export const SESSION_IDLE_MS = 7 * 24 * 3600 * 1000;
/** A live session's cookie is re-sealed (sliding the idle timeout) at most this often. */
export const SESSION_REFRESH_MS = 3600 * 1000;
export const MIN_SECRET_LENGTH = 32;
/** Opened seals kept per codec (a few hundred bytes each). */
const OPENED_SEALS_MAX = 10_000;

export interface SessionCodecOptions {
  /** Newest first. Older secrets still open cookies, so rotating one signs nobody out. */
  secrets: readonly string[];
  secure: boolean;
  now?: () => number;
}

export interface SessionCodec {
  /** The session in a Cookie header, or null when absent, forged, expired or idle too long. */
  read(cookieHeader: string | undefined): Promise<SessionData | null>;
  /** A Set-Cookie value carrying `data`. */
  write(data: SessionData): Promise<string>;
  /** A Set-Cookie value that deletes the cookie. */
  clear(): string;
  now(): number;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function createSessionCodec({ secrets, secure, now = Date.now }: SessionCodecOptions): SessionCodec {
  if (secrets.length === 0) throw new Error('at least one session secret is required');
  for (const s of secrets) {
    if (s.length < MIN_SECRET_LENGTH) throw new Error(`session secrets must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  // iron-session seals with the highest id and opens with any: newest secret gets the highest.
  const password = Object.fromEntries(secrets.map((secret, i) => [String(secrets.length - i), secret]));
  const ttlS = Math.ceil(SESSION_ABSOLUTE_MS / 1000);
  const attributes = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

  // Unsealing derives two keys and decrypts (most of a signed-in request's crypto cost), and a
  // browser sends the same seal for up to an hour: opened seals are kept, oldest evicted first.
  // The lifetime checks below run on every read, cached or not.
  const opened = new Map<string, SessionData>();
  const unseal = async (seal: string): Promise<Partial<SessionData>> => {
    const hit = opened.get(seal);
    if (hit) return hit;
    // Inside the promise: a seal that is not valid percent-encoding (decodeURIComponent throws)
    // reads as no session, like a forged one, rather than failing the request.
    const data: Partial<SessionData> = await Promise.resolve()
      .then(() => unsealData<Partial<SessionData>>(decodeURIComponent(seal), { password, ttl: ttlS }))
      .catch(() => ({}));
    if (typeof data.iat === 'number' && typeof data.seen === 'number') {
      if (opened.size >= OPENED_SEALS_MAX) opened.delete(opened.keys().next().value as string);
      opened.set(seal, Object.freeze(data as SessionData));
    }
    return data;
  };

  return {
    now,
    async read(cookieHeader) {
      const seal = readCookie(cookieHeader, SESSION_COOKIE);
      if (!seal || seal.length > 4096) return null;
      const data = await unseal(seal);
      if (typeof data.iat !== 'number' || typeof data.seen !== 'number') return null;
      const t = now();
      if (t - data.iat > SESSION_ABSOLUTE_MS || t - data.seen > SESSION_IDLE_MS) return null;
      return data as SessionData;
    },
    async write(data) {
      const seal = await sealData(data, { password, ttl: ttlS });
      const maxAge = Math.max(0, Math.floor((data.iat + SESSION_ABSOLUTE_MS - now()) / 1000));
      return `${SESSION_COOKIE}=${seal}; Max-Age=${maxAge}; ${attributes}`;
    },
    clear() {
      return `${SESSION_COOKIE}=; Max-Age=0; ${attributes}`;
    },
  };
}
