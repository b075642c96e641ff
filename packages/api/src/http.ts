import type { AnyProcedure } from '@trpc/server';
import type { ResponseMetaFn } from '@trpc/server/http';
import { type AppRouter, appRouter } from './root.ts';
import type { Meta } from './trpc.ts';

/** Calls one HTTP batch may carry (tRPC's `maxBatchSize`); the SPA's batch link sends at most as many. */
export const MAX_BATCH_SIZE = 10;

/** A call refused by its transport before tRPC runs anything. */
export interface Refusal {
  code: 'BAD_REQUEST' | 'METHOD_NOT_SUPPORTED';
  message: string;
}

// Typed as the nested router record; at run time tRPC keeps every procedure under its full path.
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure | undefined>;
const metaOf = (procedure: AnyProcedure | undefined) => procedure?._def.meta as Meta | undefined;

/**
 * Why an HTTP request for these procedures is refused, or null. `paths` are the procedure paths as
 * tRPC reads them from the URL (percent-decoded, split at commas when `?batch=1`).
 */
export function httpRefusal(paths: readonly string[]): Refusal | null {
  for (const path of paths) {
    const procedure = procedures[path];
    if (procedure?._def.type === 'subscription') {
      return { code: 'METHOD_NOT_SUPPORTED', message: `${path} is a subscription: subscribe over the WebSocket at /trpc` };
    }
    if (paths.length > 1 && metaOf(procedure)?.alone)
      return { code: 'BAD_REQUEST', message: `${path} must be sent on its own, not in a batch` };
  }
  return null;
}

/** Why a call over a WebSocket is refused, or null. */
export function socketRefusal(path: string): Refusal | null {
  if (!metaOf(procedures[path])?.alone) return null;
  return { code: 'BAD_REQUEST', message: `${path} must be sent over HTTP on its own: a WebSocket cannot set the session cookie` };
}

// Public catalog reads are the same for everyone: let browsers and the Nginx micro-cache keep
// them briefly. Anything else, or any error, is never cached.
const PUBLIC_PATHS = new Set(['catalog.categories', 'catalog.list', 'catalog.product']);

export const responseMeta: ResponseMetaFn<AppRouter> = ({ paths, type, errors }) => {
  const cacheable = type === 'query' && errors.length === 0 && !!paths?.length && paths.every((p) => PUBLIC_PATHS.has(p));
  return {
    headers: { 'cache-control': cacheable ? 'public, max-age=5, stale-while-revalidate=30' : 'no-store' },
  };
};
