// The WebSocket side of the one port: upgrades at /trpc from allowed origins (none while the
// instance drains), each socket then served by sockets.ts.
import type { Server } from 'node:http';
import { appRouter, type Context, socketRefusal } from '@shop/api';
import type { TRPCError } from '@trpc/server';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Logger, requestId } from './logger.ts';
import { clientIp, originAllowed } from './security.ts';
import type { SocketLimits } from './socket-limits.ts';
import { type SocketHandler, socketHandler } from './sockets.ts';

/** What a WebSocket keeps of its upgrade request for its whole life (not the IncomingMessage). */
export interface SocketRequest {
  url: string;
  reqId: string;
  clientIp: string;
  /** Read once by the context (into the session), then dropped. */
  cookie: string | undefined;
}

export interface SocketServerOptions {
  /** The HTTP server whose upgrades are taken. */
  server: Server;
  /** Sent as x-instance on the upgrade's answer, as on every HTTP answer: which instance holds the socket. */
  instanceName: string;
  createContext(req: SocketRequest): Promise<Context>;
  /** Logs a failed call with the socket's request id. */
  logFailure(error: TRPCError, path: string | undefined, reqId: string | undefined): void;
  /** Origins besides the shop's own allowed to open WebSockets. */
  origins: ReadonlySet<string>;
  trustProxy: boolean;
  maxMessageBytes: number;
  limits: SocketLimits;
  logger: Logger;
  /** Whether the instance is draining (then no socket is accepted). */
  draining(): boolean;
}

export interface SocketServer {
  wss: WebSocketServer;
  sockets: SocketHandler<SocketRequest>;
}

export function acceptSockets({
  server,
  instanceName,
  createContext,
  logFailure,
  origins,
  trustProxy,
  maxMessageBytes,
  limits,
  logger,
  draining,
}: SocketServerOptions): SocketServer {
  // perMessageDeflate stays off (ws's default for servers): a zlib context per socket costs far more
  // than the little JSON it would save.
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });
  const sockets = socketHandler({
    router: appRouter,
    createContext,
    refuse: socketRefusal,
    limits,
    onError: ({ error, path, req }) => logFailure(error, path, req.reqId),
  });
  wss.on('connection', (ws: WebSocket, req: SocketRequest) => sockets.connect(ws, req));
  const instanceHeader = `x-instance: ${instanceName}`;
  wss.on('headers', (headers) => headers.push(instanceHeader));

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/trpc' || draining()) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.headers.host, origins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const reqId = requestId(req);
    logger.info({ reqId, method: req.method, path, status: 101 }, 'websocket opened');
    const socketReq: SocketRequest = {
      // The usual URL as one shared literal; a query (connectionParams) kept as sent.
      url: req.url === '/trpc' ? '/trpc' : (req.url ?? '/trpc'),
      // randomUUID() assembles its string from ~20 pieces, kept as they are for the socket's life:
      // one flat copy is a fifth of that.
      reqId: Buffer.from(reqId, 'latin1').toString('latin1'),
      clientIp: clientIp(req, trustProxy),
      cookie: req.headers.cookie,
    };
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, socketReq));
  });
  return { wss, sockets };
}
