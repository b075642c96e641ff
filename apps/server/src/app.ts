import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  appRouter,
  type ContextDeps,
  createContextInner,
  httpRefusal,
  MAX_BATCH_SIZE,
  type Refusal,
  responseMeta,
  socketRefusal,
} from '@shop/api';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import sirv from 'sirv';
import { type WebSocket, WebSocketServer } from 'ws';
import { PRODUCT_IMAGE_PATH, productSvg } from './images.ts';
import { type Logger, requestId, silentLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { clientIp, crossSiteRefusal, originAllowed } from './security.ts';
import { RECONNECT_NOTICE, SOCKET_LIMITS, type SocketLimits, socketHandler } from './sockets.ts';

export interface AppOptions {
  deps: ContextDeps;
  instanceName: string;
  /** Take the client IP from X-Forwarded-For (only behind our own proxy). */
  trustProxy?: boolean;
  /** Origins besides the shop's own allowed to send mutations and open WebSockets. */
  allowedOrigins?: readonly string[];
  /** SPA build to serve, or undefined when something else (Nginx) serves it. */
  webDist?: string | undefined;
  /** Request and error logs; silent when not given. */
  logger?: Logger;
  /** Prometheus metrics served on /metrics; a fresh registry when not given. */
  metrics?: Metrics;
  /** Dependencies besides PostgreSQL that /ready checks (Redis when REDIS_URL is set); each must resolve. */
  readinessChecks?: Record<string, () => Promise<unknown>>;
  /** WebSocket keep-alive; the defaults suit production (tests shorten them). */
  keepAlive?: { pingMs: number; pongWaitMs: number };
  /** Calls per second and open subscriptions per WebSocket; the defaults suit production. */
  socketLimits?: SocketLimits;
}

export interface App {
  server: Server;
  /** Marks the instance as draining: /ready answers 503 so the load balancer stops sending work. */
  drain(): void;
  /**
   * Drains, tells WebSocket clients to reconnect elsewhere, keeps listening (so /ready can answer
   * 503 and late arrivals are still served) until no request is in flight or `drainMs` passed,
   * then stops listening and resolves once the last response went out.
   */
  close(drainMs?: number): Promise<void>;
}

const MAX_BODY_BYTES = 100 * 1024;
const MAX_WS_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Every socket gets a PING every `pingMs`; one that sends nothing within `pongWaitMs` after it
 * is dropped. Above the SPA's lazy-socket close time (30 s), since a PING resets the client's idle
 * timer and a shorter interval would keep idle sockets open for ever; below Nginx's 90 s timeout.
 */
const KEEP_ALIVE = { pingMs: 45_000, pongWaitMs: 5_000 };
/** A dependency that has not answered /ready's check by then counts as down. */
const READY_CHECK_TIMEOUT_MS = 2_000;

/** Resolves false when `check` rejects or takes longer than the timeout. */
function answers(check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_CHECK_TIMEOUT_MS);
    Promise.resolve()
      .then(check)
      .then(
        () => resolve(true),
        () => resolve(false),
      );
  }).finally(() => clearTimeout(timer));
}

/**
 * An error for the log without the data it may carry: database errors quote their SQL with its
 * values (a password hash, an address), so theirs is reduced to the class and the SQLSTATE.
 */
export function describeError(error: Error): Record<string, unknown> {
  const frames = error.stack?.split('\n').slice(1).join('\n');
  const sqlState = (error as { code?: unknown }).code;
  const fromDatabase = /Exception$/.test(error.name) || (typeof sqlState === 'string' && /^[0-9A-Z]{5}$/.test(sqlState));
  return { type: error.name, ...(fromDatabase ? { sqlState } : { message: error.message.slice(0, 500) }), stack: frames };
}

/** The metrics label of a path: a small fixed set, never the raw URL. */
function routeOf(path: string, image: boolean): string {
  if (path.startsWith('/trpc/')) return 'trpc';
  if (path === '/health' || path === '/ready' || path === '/metrics') return path.slice(1);
  return image ? 'image' : 'static';
}

/** A refusal in tRPC's error shape, so clients read it like any other procedure error. */
function sendForbidden(res: ServerResponse, message: string): void {
  sendJson(res, 403, { error: { message, code: -32003, data: { code: 'FORBIDDEN', httpStatus: 403 } } });
}

const REFUSAL_STATUS = { BAD_REQUEST: [400, -32600], METHOD_NOT_SUPPORTED: [405, -32005] } as const;

/** A refused call (or batch: one error per call, as tRPC answers a batch) in tRPC's error shape. */
function sendRefusal(res: ServerResponse, { code, message }: Refusal, paths: readonly string[], batch: boolean): void {
  const [status, rpcCode] = REFUSAL_STATUS[code];
  const error = (path: string) => ({ error: { message, code: rpcCode, data: { code, httpStatus: status, path } } });
  sendJson(res, status, batch ? paths.map(error) : error(paths[0] ?? ''));
}

/**
 * The procedure paths of an API request, read as tRPC's HTTP adapter reads them (URL pathname
 * after /trpc/, percent-decoded, split at commas when `?batch=1`); null when undecodable (tRPC
 * refuses that itself).
 */
function procedureCalls(rawUrl: string | undefined): { paths: string[]; batch: boolean } | null {
  try {
    const url = new URL(rawUrl ?? '/', 'http://localhost');
    const batch = url.searchParams.get('batch') === '1';
    const joined = decodeURIComponent(url.pathname.slice('/trpc/'.length));
    return { paths: batch ? joined.split(',') : [joined], batch };
  } catch {
    return null;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** What a WebSocket keeps of its upgrade request for its whole life (not the IncomingMessage). */
interface SocketRequest {
  url: string;
  reqId: string;
  clientIp: string;
  /** Read once by the context (into the session), then dropped. */
  cookie: string | undefined;
}

/** One HTTP server for the API (HTTP and WebSocket), probes, product images and the SPA. */
export function createApp({
  deps: givenDeps,
  instanceName,
  webDist,
  trustProxy = false,
  allowedOrigins = [],
  logger = silentLogger,
  metrics = createMetrics(instanceName),
  readinessChecks = {},
  keepAlive: { pingMs, pongWaitMs } = KEEP_ALIVE,
  socketLimits = SOCKET_LIMITS,
}: AppOptions): App {
  const deps = { ...givenDeps, observer: givenDeps.observer ?? metrics.observer };
  const { orm } = deps;
  const startedAt = Date.now();
  let draining = false;
  const origins = new Set(allowedOrigins);
  /** The request id of each request in flight, for tRPC's error log. */
  const requestIds = new WeakMap<IncomingMessage, string>();
  const logFailure = (error: TRPCError, path: string | undefined, reqId: string | undefined) => {
    // Client errors are in the request log already; only failures of ours need their cause here.
    if (error.code !== 'INTERNAL_SERVER_ERROR') return;
    const cause = error.cause ?? error;
    logger.error({ reqId, procedure: path, err: describeError(cause) }, 'procedure failed');
  };
  const onError = ({ error, path, req }: { error: TRPCError; path: string | undefined; req: IncomingMessage }) =>
    logFailure(error, path, requestIds.get(req));

  const createContext = ({ req, res }: { req: IncomingMessage; res: ServerResponse }) =>
    createContextInner(deps, {
      cookieHeader: req.headers.cookie,
      clientIp: clientIp(req, trustProxy),
      setCookie: (value) => res.appendHeader('set-cookie', value),
    });
  /** A WebSocket has no response to carry cookies: sign-in and sign-out go over HTTP. */
  const createSocketContext = (req: SocketRequest) => {
    const cookieHeader = req.cookie;
    req.cookie = undefined;
    return createContextInner(deps, { cookieHeader, clientIp: req.clientIp, setCookie: null });
  };
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_SIZE,
    responseMeta,
    onError,
  });

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

  const checks: Record<string, () => Promise<unknown>> = { postgres: () => orm.em.getConnection().execute('select 1'), ...readinessChecks };

  /** Whether every dependency answers, and which do. */
  async function ready(): Promise<{ ok: boolean; checks: Record<string, 'ok' | 'down'> }> {
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await answers(check)] as const));
    return {
      ok: !draining && results.every(([, up]) => up),
      checks: Object.fromEntries(results.map(([name, up]) => [name, up ? 'ok' : 'down'])),
    };
  }

  /** One log line and one metric per response, when it has gone out (or the client went away). */
  function track(req: IncomingMessage, res: ServerResponse, path: string, reqId: string): void {
    const started = performance.now();
    res.once('close', () => {
      const route = routeOf(path, PRODUCT_IMAGE_PATH.test(path));
      metrics.response(route, res.statusCode);
      const line = {
        reqId,
        method: req.method,
        path,
        ...(route === 'trpc' ? { procedure: path.slice('/trpc/'.length) } : {}),
        status: res.statusCode,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      // Probes and scrapes come every few seconds from every checker: only at debug level.
      if (route === 'health' || route === 'ready' || route === 'metrics') logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
  }

  let inFlight = 0;
  function handle(req: IncomingMessage, res: ServerResponse): void {
    inFlight++;
    res.once('close', () => inFlight--);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const reqId = requestId(req);
    requestIds.set(req, reqId);
    track(req, res, path, reqId);
    res.setHeader('x-request-id', reqId);
    // Which instance answered: for operators and for tests of the load balancer.
    res.setHeader('x-instance', instanceName);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'strict-origin-when-cross-origin');
    if (path.startsWith('/trpc/')) {
      // Refuse a declared oversized body before reading it; tRPC's maxBodySize covers chunked ones.
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
        sendJson(res, 413, { error: 'request body too large' });
        return;
      }
      // Every POST is a mutation: refuse the cross-site ones before tRPC parses anything.
      const refusal = req.method === 'POST' ? crossSiteRefusal(req, origins) : null;
      if (refusal) {
        sendForbidden(res, refusal);
        return;
      }
      // Sign-ins inside a batch and subscriptions over HTTP (server-sent events): refused before
      // tRPC creates a context or runs a middleware.
      // A batch over the size limit goes straight to tRPC, which refuses it with one error (an
      // answer per path would be a large reply to a small request).
      const calls = procedureCalls(req.url);
      const transportRefusal = calls && calls.paths.length <= MAX_BATCH_SIZE ? httpRefusal(calls.paths) : null;
      if (calls && transportRefusal) sendRefusal(res, transportRefusal, calls.paths, calls.batch);
      else trpc(req, res);
      return;
    }
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok', instance: instanceName, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
      return;
    }
    if (path === '/ready') {
      void ready().then(({ ok, checks }) =>
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : draining ? 'draining' : 'unavailable', instance: instanceName, checks }),
      );
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' });
          res.end(text);
        },
        (error: unknown) => {
          logger.error({ err: { message: (error as Error).message } }, 'metrics failed');
          sendJson(res, 500, { error: 'metrics failed' });
        },
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
  // perMessageDeflate stays off (ws's default for servers): a zlib context per socket costs far more
  // than the little JSON it would save.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES, perMessageDeflate: false });
  const sockets = socketHandler({
    router: appRouter,
    createContext: createSocketContext,
    refuse: socketRefusal,
    limits: socketLimits,
    onError: ({ error, path, req }) => logFailure(error, path, req.reqId),
  });
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
  // Keep-alive with one timer for all sockets (tRPC's adapter keeps two timers and three closures per
  // socket): a PING every `pingMs`; a socket that answers nothing within `pongWaitMs` is dead.
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
  wss.on('connection', (ws: WebSocket, req: SocketRequest) => {
    ws.on('message', hear);
    ws.once('close', forget);
    sockets.connect(ws, req);
  });
  metrics.watch({
    webSockets: () => wss.clients.size,
    pool: async () => orm.em.getConnection().getNativeClient(),
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

  return {
    server,
    drain() {
      draining = true;
    },
    async close(drainMs = 10_000) {
      draining = true;
      clearInterval(slowConsumers);
      clearInterval(keepAlive);
      const deadline = performance.now() + drainMs;
      // Calls already running over a socket are answered first: a tRPC client told to reconnect
      // fails whatever it still waits for on the old socket.
      await Promise.race([sockets.answered(), new Promise((resolve) => setTimeout(resolve, drainMs).unref())]);
      for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(RECONNECT_NOTICE);
      for (const client of wss.clients) client.close(1012, 'server restarting');
      while (inFlight > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      wss.close();
    },
  };
}
