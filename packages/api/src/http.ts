import type { ResponseMetaFn } from '@trpc/server/http';
import type { AppRouter } from './root.ts';

// Public catalog reads are the same for everyone: let browsers and the Nginx micro-cache keep
// them briefly. Anything else, or any error, is never cached.
const PUBLIC_PATHS = new Set(['catalog.categories', 'catalog.list', 'catalog.product']);

export const responseMeta: ResponseMetaFn<AppRouter> = ({ paths, type, errors }) => {
  const cacheable = type === 'query' && errors.length === 0 && !!paths?.length && paths.every((p) => PUBLIC_PATHS.has(p));
  return {
    headers: { 'cache-control': cacheable ? 'public, max-age=5, stale-while-revalidate=30' : 'no-store' },
  };
};
