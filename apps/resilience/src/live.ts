// tRPC over the WebSocket as a browser would open it: with its session cookie (and Origin).
import type { AppRouter } from '@shop/api';
import { sleep } from '@shop/proc';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';

export function liveClient(base: string, cookie: string, origin?: string) {
  const headers = { ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) };
  const socket = createWSClient({
    url: `${base.replace('http', 'ws')}/trpc`,
    retryDelayMs: () => 250,
    WebSocket: class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    } as unknown as typeof globalThis.WebSocket,
  });
  return { api: createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] }), socket };
}

/** The HTTP status a WebSocket upgrade got: 101 when it opened, else the refusal's status. */
export function upgradeStatus(base: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/trpc`, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', (error) => reject(error));
  });
}

/** A tRPC reply on a raw socket (or PING/PONG, kept as `{ id: 'PING' }`). */
export interface SocketReply {
  id?: number | string | null;
  result?: { type?: string; data?: unknown };
  error?: { message: string; data?: { code?: string } };
}

/** A raw WebSocket speaking tRPC's wire protocol, for what the client library never sends (bursts, arrays). */
export async function rawSocket(base: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/trpc`, { headers });
  const replies: SocketReply[] = [];
  ws.on('message', (raw) => {
    const text = raw.toString();
    replies.push(text === 'PING' || text === 'PONG' ? { id: text } : (JSON.parse(text) as SocketReply));
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  /** Waits (at most 15 s) until `test` holds over the replies so far. */
  const until = async (test: (replies: SocketReply[]) => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!test(replies)) {
      if (Date.now() > deadline) throw new Error(`socket: timed out with ${replies.length} replies`);
      await sleep(20);
    }
  };
  return { ws, replies, until, send: (message: unknown) => ws.send(JSON.stringify(message)) };
}
