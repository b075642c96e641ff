import type { IncomingMessage } from 'node:http';

/**
 * Why a state-changing request must be refused, or null when it may proceed. The contract's rule:
 * a foreign Origin, a cross-site Sec-Fetch-Site, or a body that is not JSON. (Browsers send
 * form and text/plain posts cross-site without a preflight; JSON needs one, which we never grant.)
 * Clients that send no Origin at all (scripts, servers) are allowed.
 */
export function crossSiteRefusal(req: IncomingMessage, allowedOrigins: ReadonlySet<string>): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(origin, req.headers.host, allowedOrigins)) return `origin ${origin} is not allowed`;
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'cross-site requests are not allowed';
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return 'mutations must be sent as application/json';
  return null;
}

/** Same origin as the Host the request was sent to, or one configured in ALLOWED_ORIGINS. */
export function originAllowed(origin: string, host: string | undefined, allowedOrigins: ReadonlySet<string>): boolean {
  if (allowedOrigins.has(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * The client's address. Behind a trusted proxy (TRUST_PROXY) it is the last X-Forwarded-For
 * entry, the one our proxy appended, which a client cannot forge; otherwise the socket's peer.
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const list = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = list[list.length - 1]?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
