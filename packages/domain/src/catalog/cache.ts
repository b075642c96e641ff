import type { Bus } from '@shop/bus';
import { LRUCache } from 'lru-cache';
import { publishQuietly } from '../live/publish.ts';

/** Any instance announces here that catalog data changed, so every instance forgets its copies. */
export const CATALOG_CHANGED_CHANNEL = 'catalog:changed';

/**
 * Catalog reads (pages, product pages, categories) are the same for every visitor, and Nginx's
 * micro-cache serves them only to visitors without a session. This keeps each result for a short
 * time in the instance, for everyone: stock shown may be that old (checkout decides under a row
 * lock, so it never oversells), and a staff change clears it everywhere at once.
 */
export interface CatalogCache {
  /**
   * The value under `key`, loaded once however many callers ask at once. Older than the
   * time-to-live, the copy is still answered while one refresh runs (up to STALE_FACTOR times
   * that age; older, the caller waits for a fresh load).
   */
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
  /** How long a result is fresh; 0 turns the cache off. */
  ttlMs: number;
  bus: Bus;
  /** Most results kept (pages of one search, category and sort each count once). */
  max?: number;
}

/** A copy is answered up to this many time-to-lives old while one refresh runs; older, it is loaded first. */
const STALE_FACTOR = 5;

interface Entry {
  value: Promise<unknown>;
  /** When its load started: the data is at least as new as that. */
  loadedAt: number;
  refreshing: boolean;
}

export function createCatalogCache({ ttlMs, bus, max = 2_000 }: CatalogCacheOptions): CatalogCache {
  if (ttlMs <= 0) return noCatalogCache;
  // The promise is kept, not the value: concurrent misses share one load (no stampede).
  const entries = new LRUCache<string, Entry>({ max, ttl: ttlMs * STALE_FACTOR });
  // Not awaited: with Redis down at start-up the instance still serves (copies expire anyway);
  // the bus reports its own failures.
  const listening = bus.subscribe(CATALOG_CHANGED_CHANNEL, () => entries.clear()).catch(() => null);

  const start = (key: string, load: () => Promise<unknown>): Entry => {
    const entry: Entry = { value: load(), loadedAt: Date.now(), refreshing: false };
    entries.set(key, entry);
    // A failure is not kept: the next caller tries again.
    entry.value.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return entry;
  };
  // Stale while revalidating, as Nginx's micro-cache does: readers keep getting the old copy
  // until the new one is in, so an expiring page never makes a burst of requests wait for its SQL.
  const refresh = (key: string, stale: Entry, load: () => Promise<unknown>): void => {
    stale.refreshing = true;
    const loadedAt = Date.now();
    const next = load();
    next.then(
      () => {
        // Unless a staff change cleared it meanwhile: then the next reader loads afresh.
        if (entries.get(key) === stale) entries.set(key, { value: next, loadedAt, refreshing: false });
      },
      () => {
        stale.refreshing = false;
      },
    );
  };

  return {
    read<T>(key: string, load: () => Promise<T>): Promise<T> {
      const hit = entries.get(key);
      if (!hit) return start(key, load).value as Promise<T>;
      if (!hit.refreshing && Date.now() - hit.loadedAt >= ttlMs) refresh(key, hit, load);
      return hit.value as Promise<T>;
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
