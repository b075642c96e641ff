// The end of an instance's life, once it is draining (/ready answers 503, no new socket).
import type { Server } from 'node:http';
import { sleep } from '@shop/proc';
import type { WebSocketServer } from 'ws';
import { RECONNECT_NOTICE } from './sockets.ts';

/**
 * From SIGTERM to exit at most (main.ts exits anyway then): a supervisor's grace period before it
 * kills (systemd's TimeoutStopSec, Kubernetes' terminationGracePeriodSeconds) must be longer.
 */
export const SHUTDOWN_LIMIT_MS = 15_000;

export interface Closable {
  server: Server;
  wss: WebSocketServer;
  /** Settles once every call running over a socket now has been answered. */
  answered(): Promise<void>;
  /** HTTP requests whose response has not gone out yet. */
  inFlight(): number;
}

/**
 * Tells WebSocket clients to reconnect elsewhere, keeps listening (so /ready can answer 503 and
 * late arrivals are still served) until no request is in flight or `drainMs` passed, then stops
 * listening and resolves once the last response went out.
 */
export async function closeGracefully({ server, wss, answered, inFlight }: Closable, drainMs: number): Promise<void> {
  const deadline = performance.now() + drainMs;
  // Calls already running over a socket are answered first: a tRPC client told to reconnect
  // fails whatever it still waits for on the old socket.
  await Promise.race([answered(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
  for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(RECONNECT_NOTICE);
  for (const client of wss.clients) client.close(1012, 'server restarting');
  while (inFlight() > 0 && performance.now() < deadline) await sleep(50);
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  wss.close();
}
