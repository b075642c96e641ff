import type { ScenarioReport } from '../lib/report.ts';
import type { RedisServer, Shop } from '../lib/shop.ts';

export interface BenchContext {
  quick: boolean;
  /** Seconds per measured interval. */
  durationS: number;
  /** The catalog scenario's product counts, smallest first (BENCH_CATALOG_SIZES). */
  catalogSizes: number[];
  redis: RedisServer;
  /**
   * Nginx and three instances on a scratch copy of the 10,000-product catalog, started on first
   * use and shared by the scenarios that write (starting a cluster costs more than most measurements).
   */
  sharedShop(): Promise<{ shop: Shop; databaseUrl: string }>;
  /** Nginx and three instances started for the caller alone (on the same scratch catalog); the caller stops them. */
  freshShop(): Promise<{ shop: Shop; databaseUrl: string }>;
}

export type ScenarioBody = Omit<ScenarioReport, 'id' | 'title' | 'seconds' | 'error'>;

export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<ScenarioBody>;
}

export const emptyBody = (): ScenarioBody => ({ figures: [], tables: [], charts: [], notes: [] });

/** Where clients connect: Nginx, as browsers do; without it (BENCH_NO_NGINX), the instances in turn. */
export const entryUrls = (shop: Shop): string[] => (shop.nginx ? [shop.url] : shop.instances.map((i) => i.url));
