import type { Bus } from '@shop/bus';
import { LRUCache } from 'lru-cache';
import { publishQuietly } from '../live/stream.ts';

/** Any instance announces here that catalog data changed, so every instance forgets its copies. */
export const CATALOG_CHANGED_CHANNEL = 'catalog:changed';

/**
 * Catalog reads (pages, product pages, categories) are the same for every visitor, and Nginx's
 * micro-cache serves them only to visitors without a session. This keeps each result for a short
 * time in the instance, for everyone: stock shown may be that old (checkout decides under a row
 * lock, so it never oversells), and a staff change clears it everywhere at once.
 */
export interface CatalogCache {
  /** The value under `key`: loaded once per time-to-live, however many callers ask at once. */
  read<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** Forgets every copy, here at once and on every other instance through the bus. */
  changed(): Promise<void>;
  /** Settles once other instances' changes are heard (or listening failed). */
  readonly listening: Promise<void>;
  /** Stops listening to other instances. */
  close(): Promise<void>;
}

/** Every read loads: for tests, and for CATALOG_CACHE_MS=0. */
export const noCatalogCache: CatalogCache = {
  read: (_key, load) => load(),
  changed: async () => {},
  listening: Promise.resolve(),
  close: async () => {},
};

export interface CatalogCacheOptions {
  /** How long a result is kept; 0 turns the cache off. */
  ttlMs: number;
  bus: Bus;
  /** Most results kept (pages of one search, category and sort each count once). */
  max?: number;
}

export function createCatalogCache({ ttlMs, bus, max = 2_000 }: CatalogCacheOptions): CatalogCache {
  if (ttlMs <= 0) return noCatalogCache;
  // The promise is kept, not the value: concurrent misses share one load (no stampede).
  const entries = new LRUCache<string, Promise<unknown>>({ max, ttl: ttlMs });
  // Not awaited: with Redis down at start-up the instance still serves (copies expire anyway);
  // the bus reports its own failures.
  const listening = bus.subscribe(CATALOG_CHANGED_CHANNEL, () => entries.clear()).catch(() => null);
  return {
    read<T>(key: string, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(key);
      if (hit) return hit as Promise<T>;
      const loading = load();
      entries.set(key, loading);
      // A failure is not kept: the next caller tries again.
      loading.catch(() => {
        if (entries.get(key) === loading) entries.delete(key);
      });
      return loading;
    },
    async changed() {
      entries.clear();
      // At most once: an instance that misses this serves its copies until they expire.
      await publishQuietly(bus, CATALOG_CHANGED_CHANNEL, 1);
    },
    listening: listening.then(() => {}),
    async close() {
      await (await listening)?.();
    },
  };
}
