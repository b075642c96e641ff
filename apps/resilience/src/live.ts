// tRPC over the WebSocket as a browser would open it: with its session cookie (and Origin).
import type { AppRouter } from '@shop/api';
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
