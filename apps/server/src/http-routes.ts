// The HTTP side of the one port: tRPC's API at /trpc/, the probes (/health, /ready, /metrics),
// product images and the SPA, with one log line and one metric per response.
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appRouter, type Context, httpRefusal, MAX_BATCH_SIZE, type Refusal, responseMeta } from '@shop/api';
import type { TRPCError } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import sirv from 'sirv';
import { PRODUCT_IMAGE_PATH, productSvg } from './images.ts';
import { type Logger, requestId } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { crossSiteRefusal } from './security.ts';

export interface RoutesOptions {
  instanceName: string;
  /** The context of one HTTP call. */
  createContext(opts: { req: IncomingMessage; res: ServerResponse }): Promise<Context>;
  /** Logs a failed call with the request's id. */
  logFailure(error: TRPCError, path: string | undefined, reqId: string | undefined): void;
  /** Origins besides the shop's own allowed to send mutations. */
  origins: ReadonlySet<string>;
  maxBodyBytes: number;
  /** SPA build to serve, or undefined when something else (Nginx) serves it. */
  webDist: string | undefined;
  logger: Logger;
  metrics: Metrics;
  /** The dependencies /ready checks; each must resolve. */
  checks: Record<string, () => Promise<unknown>>;
  /** Whether the instance is draining (then /ready answers 503). */
  draining(): boolean;
}

export interface Routes {
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Requests whose response has not gone out yet. */
  inFlight(): number;
}

export function httpRoutes({
  instanceName,
  createContext,
  logFailure,
  origins,
  maxBodyBytes,
  webDist,
  logger,
  metrics,
  checks,
  draining,
}: RoutesOptions): Routes {
  const startedAt = Date.now();
  /** The request id of each request in flight, for tRPC's error log. */
  const requestIds = new WeakMap<IncomingMessage, string>();
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: '/trpc/',
    maxBodySize: maxBodyBytes,
    maxBatchSize: MAX_BATCH_SIZE,
    responseMeta,
    onError: ({ error, path, req }) => logFailure(error, path, requestIds.get(req)),
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

  /** The API: refusals that need no context first, then tRPC. */
  function api(req: IncomingMessage, res: ServerResponse): void {
    // Refuse a declared oversized body before reading it; tRPC's maxBodySize covers chunked ones.
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
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
  }

  /** Whether every dependency answers, and which do. */
  async function ready(): Promise<{ ok: boolean; checks: Record<string, 'ok' | 'down'> }> {
    const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await answers(check)] as const));
    return {
      ok: !draining() && results.every(([, up]) => up),
      checks: Object.fromEntries(results.map(([name, up]) => [name, up ? 'ok' : 'down'])),
    };
  }

  /** The SPA's files (any other path gets index.html), or 404 when this instance serves none. */
  function spa(req: IncomingMessage, res: ServerResponse): void {
    if (assets && (req.method === 'GET' || req.method === 'HEAD')) assets(req, res);
    else sendJson(res, 404, { error: 'not found' });
  }

  /** Answers a probe at `path`; false when `path` is none. */
  function probe(path: string, res: ServerResponse): boolean {
    if (path === '/health') {
      sendJson(res, 200, { status: 'ok', instance: instanceName, uptimeS: Math.round((Date.now() - startedAt) / 1000) });
    } else if (path === '/ready') {
      void ready().then(({ ok, checks }) =>
        sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : draining() ? 'draining' : 'unavailable', instance: instanceName, checks }),
      );
    } else if (path === '/metrics') {
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
    } else return false;
    return true;
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
    if (path.startsWith('/trpc/')) api(req, res);
    else if (!probe(path, res) && !productImage(req, res, path)) spa(req, res);
  }

  return { handle, inFlight: () => inFlight };
}

/** Serves a product image at `path`; false when `path` is none. */
function productImage(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const slug = PRODUCT_IMAGE_PATH.exec(path)?.[1];
  if (!slug || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });
  res.end(req.method === 'HEAD' ? undefined : productSvg(slug));
  return true;
}

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
