// Plain HTTP to the shop, byte for byte as given (fetch would normalise URLs and bodies), with a
// timeout so a hung request fails the test instead of stalling it.
import { Agent, request } from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

// Idle sockets are dropped after 4 s, long before Nginx closes them at its keepalive_timeout
// (65 s): otherwise a request can go out on a socket just as Nginx closes it as idle, and fail
// with "socket hang up" though the server did nothing wrong.
const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 4_000 });

/** Requests re-sent on a new connection because their kept-alive socket was closed under them. */
export const resent = { count: 0 };

/**
 * Sends one request. `streamMs` is for event streams (subscriptions over SSE), which never end:
 * the reply is what arrived that long after the headers.
 */
export async function raw(base: string, req: RawRequest, timeoutMs = 15_000, streamMs?: number): Promise<RawReply> {
  try {
    return await once(base, req, timeoutMs, streamMs, agent);
  } catch (error) {
    // A kept-alive socket the server closed just as the request went out, before any answer:
    // Node's documented case for one retry (the request never reached the server). Nginx does
    // this to every idle connection when it reloads (as the cluster does when an instance
    // rejoins), so the retry takes a new connection: another pooled one may be closing too.
    const { reusedSocket, answered } = error as { reusedSocket?: boolean; answered?: boolean };
    if (reusedSocket && !answered && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
      resent.count++;
      return once(base, req, timeoutMs, streamMs, false);
    }
    throw error;
  }
}

function once(base: string, req: RawRequest, timeoutMs: number, streamMs: number | undefined, via: Agent | false): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    let answered = false;
    const r = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: via, timeout: timeoutMs },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', done);
        res.on('error', reject);
        if (streamMs !== undefined && String(res.headers['content-type']).startsWith('text/event-stream')) {
          setTimeout(() => {
            done();
            r.destroy();
          }, streamMs);
        }
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path.slice(0, 200)}`)));
    r.on('error', (error) => reject(Object.assign(error, { reusedSocket: r.reusedSocket, answered })));
    r.end(req.body);
  });
}

export interface TrpcReply {
  status: number;
  /** `result.data` of a success. */
  data: unknown;
  /** tRPC error code name (`error.data.code`), `HTTP_<status>` for a non-tRPC error, or null on success. */
  code: string | null;
  /** The error's message, '' on success. */
  message: string;
  /** `error.data.reason` (such as MFA_REQUIRED), or null. */
  reason: string | null;
  setCookie: string[];
  headers: RawReply['headers'];
}

function parse(reply: RawReply): TrpcReply {
  let body: { result?: { data?: unknown }; error?: { message?: string; data?: { code?: string; reason?: string } } } = {};
  try {
    body = JSON.parse(reply.text);
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const setCookie = reply.headers['set-cookie'] ?? [];
  return {
    status: reply.status,
    data: body.result?.data,
    code: body.error ? (body.error.data?.code ?? 'UNKNOWN') : reply.status >= 400 ? `HTTP_${reply.status}` : null,
    message: body.error?.message ?? '',
    reason: body.error?.data?.reason ?? null,
    setCookie: Array.isArray(setCookie) ? setCookie : [setCookie],
    headers: reply.headers,
  };
}

/** A query (GET) as the tRPC client sends it, without batching. */
export async function query(base: string, path: string, input?: unknown, cookie?: string, timeoutMs?: number): Promise<TrpcReply> {
  const qs = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  return parse(await raw(base, { method: 'GET', path: `/trpc/${path}${qs}`, headers: cookie ? { cookie } : {} }, timeoutMs));
}

/** A mutation (POST, JSON body) as the tRPC client sends it, without batching. */
export async function mutate(
  base: string,
  path: string,
  input?: unknown,
  cookie?: string,
  timeoutMs?: number,
  headers: Record<string, string> = {},
): Promise<TrpcReply> {
  const body = input === undefined ? '' : JSON.stringify(input);
  return parse(
    await raw(
      base,
      {
        method: 'POST',
        path: `/trpc/${path}`,
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...headers },
        body,
      },
      timeoutMs,
    ),
  );
}

/** The `name=value` of the session cookie a reply set, or '' when it set none. */
export function cookieOf(reply: TrpcReply): string {
  return reply.setCookie[0]?.split(';')[0] ?? '';
}

export async function signIn(base: string, email: string, password: string): Promise<string> {
  const reply = await mutate(base, 'auth.login', { email, password });
  if (reply.status !== 200) throw new Error(`sign-in as ${email} failed: ${reply.status} ${reply.code}`);
  return cookieOf(reply);
}

/** The password `register` gives its accounts: strong enough for the sign-up's strength check. */
export const PASSWORD = 'tulip-anchor-violet-88';

export async function register(base: string, name: string): Promise<{ cookie: string; id: string; email: string }> {
  const email = `${name}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const reply = await mutate(base, 'auth.register', { email, password: PASSWORD, name });
  if (reply.status !== 200) throw new Error(`register ${email} failed: ${reply.status} ${reply.code}`);
  return { cookie: cookieOf(reply), id: (reply.data as { id: string }).id, email };
}

export const DEMO = {
  shopper: { email: 'shopper@shop.test', password: 'shopper-password' },
  staff: { email: 'staff@shop.test', password: 'staff-password' },
};
