// Keep-alive and back-pressure for every WebSocket of a server, with one timer each for all
// sockets (tRPC's adapter keeps two timers and three closures per socket).
import type { WebSocket, WebSocketServer } from 'ws';

export interface KeepAlive {
  pingMs: number;
  pongWaitMs: number;
}

/**
 * Every socket gets a PING every `pingMs`; one that sends nothing within `pongWaitMs` after it
 * is dropped. Above the SPA's lazy-socket close time (30 s), since a PING resets the client's idle
 * timer and a shorter interval would keep idle sockets open for ever; below Nginx's 90 s timeout.
 */
export const KEEP_ALIVE: KeepAlive = { pingMs: 45_000, pongWaitMs: 5_000 };

/** A client that stops reading would make its socket's buffer grow without end: past this it is dropped. */
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024;
const SLOW_CONSUMER_CHECK_MS = 5_000;

/** Watches every socket `wss` accepts until `stop()`. */
export function superviseSockets(wss: WebSocketServer, { pingMs, pongWaitMs }: KeepAlive): { stop(): void } {
  /**
   * Sockets heard from since the latest PING round began. Each round checks its own set, so a
   * round that starts before the previous one's wait is over does not empty what that one counts.
   */
  let heard = new Set<WebSocket>();
  /** One listener for every socket (`this` is the socket), not a closure per socket. */
  function hear(this: WebSocket): void {
    heard.add(this);
  }
  function forget(this: WebSocket): void {
    heard.delete(this);
  }
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', hear);
    ws.on('close', forget);
  });

  // A PING every `pingMs`; a socket that answers nothing within `pongWaitMs` is dead.
  const keepAlive = setInterval(() => {
    const round = new Set<WebSocket>();
    heard = round;
    const pinged = [...wss.clients].filter((client) => client.readyState === client.OPEN);
    for (const client of pinged) client.send('PING');
    setTimeout(() => {
      for (const client of pinged) if (!round.has(client)) client.terminate();
    }, pongWaitMs).unref();
  }, pingMs);
  keepAlive.unref();

  // Back-pressure: a dropped client reconnects and resumes from its last event id.
  const slowConsumers = setInterval(() => {
    for (const client of wss.clients) if (client.bufferedAmount > MAX_WS_BUFFERED_BYTES) client.terminate();
  }, SLOW_CONSUMER_CHECK_MS);
  slowConsumers.unref();

  return {
    stop() {
      clearInterval(slowConsumers);
      clearInterval(keepAlive);
    },
  };
}
