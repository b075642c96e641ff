import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { appRouter, type ContextDeps, createContextInner, responseMeta } from '@shop/api';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import sirv from 'sirv';
import { WebSocketServer } from 'ws';
import { PRODUCT_IMAGE_PATH, productSvg } from './images.ts';
import { clientIp, crossSiteRefusal, originAllowed } from './security.ts';

export interface AppOptions {
  deps: ContextDeps;
  instanceName: string;
  /** Take the client IP from X-Forwarded-For (only behind our own proxy). */
  trustProxy?: boolean;
  /** Origins besides the shop's own allowed to send mutations and open WebSockets. */
  allowedOrigins?: readonly string[];
  /** SPA build to serve, or undefined when something else (Nginx) serves it. */
  webDist?: string | undefined;
}

export interface App {
  server: Server;
  /** Marks the instance as draining: /ready answers 503 so the load balancer stops sending work. */
  drain(): void;
  /** Tells WebSocket clients to reconnect elsewhere, then closes everything. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 100 * 1024;
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024;

/** A refusal in tRPC's error shape, so clients read it like any other procedure error. */
function sendForbidden(res: ServerResponse, message: string): void {
  sendJson(res, 403, { error: { message, code: -32003, data: { code: 'FORBIDDEN', httpStatus: 403 } } });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** One HTTP server for the API (HTTP and WebSocket), probes, product images and the SPA. */
export function createApp({ deps, instanceName, webDist, trustProxy = false, allowedOrigins = [] }: AppOptions): App {
  const { orm } = deps;
  const startedAt = Date.now();
  let draining = false;
  const origins = new Set(allowedOrigins);

  const createContext = ({ req, res }: { req: IncomingMessage; res?: ServerResponse }) =>
    createContextInner(deps, {
      cookieHeader: req.headers.cookie,
      clientIp: clientIp(req, trustProxy),
      // A WebSocket has no response to carry cookies: sign-in and sign-out go over HTTP.
      setCookie: res ? (value) => res.appendHeader('set-cookie', value) : null,
    });
  const trpc = createHTTPHandler({ router: appRouter, createContext, basePath: '/trpc/', maxBodySize: MAX_BODY_BYTES, responseMeta });

  const assets =
    webDist && existsSync(webDist)
      ? sirv(webDist, {
          single: true,
          etag: true,
          gzip: true,
          // Hashed asset names change with their content: cache them for a year. index.html never.
          setHeaders: (res, pathname) => {
            res.setHeader('cache-control', pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
          },
        })
      : undefined;

  async function ready(): Promise<boolean> {
    if (draining) return false;
    try {
      await orm.em.getConnection().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    // Which instance answered: for operators and for tests of the load balancer.
    res.setHeader('x-instance', instanceName);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'strict-origin-when-cross-origin');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/trpc/')) {
      // Refuse a declared oversized body before reading it; tRPC's maxBodySize covers chunked ones.
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
        sendJson(res, 413, { error: 'request body too large' });
        return;
      }
      // Every POST is a mutation: refuse the cross-site ones before tRPC parses anything.
      const refusal = req.method === 'POST' ? crossSiteRefusal(req, origins) : null;
      if (refusal) sendForbidden(res, refusal);
      else trpc(req, res);
      return;
    }
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok', instance: instanceName, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
      return;
    }
    if (path === '/ready') {
      void ready().then((ok) =>
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : draining ? 'draining' : 'unavailable', instance: instanceName }),
      );
      return;
    }
    const image = PRODUCT_IMAGE_PATH.exec(path);
    if (image?.[1] && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });
      res.end(req.method === 'HEAD' ? undefined : productSvg(image[1]));
      return;
    }
    if (assets && (req.method === 'GET' || req.method === 'HEAD')) assets(req, res);
    else sendJson(res, 404, { error: 'not found' });
  }

  const server = createServer(handle);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const wsHandler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
  });
  // Back-pressure: a client that stops reading would make its socket buffer grow without end.
  // Past the limit it is dropped; it reconnects and resumes from its last event id.
  const slowConsumers = setInterval(() => {
    for (const client of wss.clients) if (client.bufferedAmount > MAX_WS_BUFFERED_BYTES) client.terminate();
  }, 5_000);
  slowConsumers.unref();

  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/trpc' || draining) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.headers.host, origins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    server,
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      clearInterval(slowConsumers);
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1012, 'server restarting');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      wss.close();
    },
  };
}
