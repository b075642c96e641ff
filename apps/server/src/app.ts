import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type ContextDeps, createContextInner } from '@shop/api';
import type { TRPCError } from '@trpc/server';
import { httpRoutes } from './http-routes.ts';
import { KEEP_ALIVE, type KeepAlive, superviseSockets } from './keep-alive.ts';
import { type Logger, silentLogger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { clientIp } from './security.ts';
import { closeGracefully } from './shutdown.ts';
import { SOCKET_LIMITS, type SocketLimits } from './socket-limits.ts';
import { acceptSockets, type SocketRequest } from './socket-server.ts';

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
  /** Dependencies besides PostgreSQL that /ready checks (Redis when one is configured); each must resolve. */
  readinessChecks?: Record<string, () => Promise<unknown>>;
  /** WebSocket keep-alive; the defaults suit production (tests shorten them). */
  keepAlive?: KeepAlive;
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

/** Request bodies and WebSocket messages alike. */
const MAX_BODY_BYTES = 100 * 1024;

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
  keepAlive = KEEP_ALIVE,
  socketLimits = SOCKET_LIMITS,
}: AppOptions): App {
  const deps = { ...givenDeps, observer: givenDeps.observer ?? metrics.observer };
  const { orm } = deps;
  let draining = false;
  const isDraining = () => draining;
  const origins = new Set(allowedOrigins);
  const logFailure = (error: TRPCError, path: string | undefined, reqId: string | undefined) => {
    // Client errors are in the request log already; only failures of ours need their cause here.
    if (error.code !== 'INTERNAL_SERVER_ERROR') return;
    const cause = error.cause ?? error;
    logger.error({ reqId, procedure: path, err: describeError(cause) }, 'procedure failed');
  };

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

  const routes = httpRoutes({
    instanceName,
    createContext,
    logFailure,
    origins,
    maxBodyBytes: MAX_BODY_BYTES,
    webDist,
    logger,
    metrics,
    checks: { postgres: () => orm.em.getConnection().execute('select 1'), ...readinessChecks },
    draining: isDraining,
  });
  const server = createServer(routes.handle);
  const { wss, sockets } = acceptSockets({
    server,
    instanceName,
    createContext: createSocketContext,
    logFailure,
    origins,
    trustProxy,
    maxMessageBytes: MAX_BODY_BYTES,
    limits: socketLimits,
    logger,
    draining: isDraining,
  });
  const supervision = superviseSockets(wss, keepAlive);
  metrics.watch({
    webSockets: () => wss.clients.size,
    pool: async () => orm.em.getConnection().getNativeClient(),
  });

  return {
    server,
    drain() {
      draining = true;
    },
    async close(drainMs = 10_000) {
      draining = true;
      supervision.stop();
      await closeGracefully({ server, wss, answered: sockets.answered, inFlight: routes.inFlight }, drainMs);
    },
  };
}
