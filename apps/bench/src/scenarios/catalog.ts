// 1. Catalog reads through Nginx and three instances against a floor server (bare node:http + pg,
// same SQL), at 64 connections, at 1,000 / 10,000 / 100,000 products.
import { spawnTracked, stop, waitForHttp } from '@shop/proc';
import { catalogDatabase, dbUrl } from '../lib/db.ts';
import { port } from '../lib/ports.ts';
import { log } from '../lib/progress.ts';
import { startShop } from '../lib/shop.ts';
import { ratio, round } from '../lib/stats.ts';
import { barChart, latencyChart } from '../lib/svg.ts';
import { startWorker } from '../lib/workers.ts';
import type { AutocannonConfig, AutocannonResult } from '../workers/autocannon.ts';
import { emptyBody, type Scenario } from './context.ts';

const CONNECTIONS = 64;
const input = (v: object) => `/trpc/catalog.list?input=${encodeURIComponent(JSON.stringify(v))}`;
export const CATALOG_PATHS = [input({}), input({ search: 'teapot' }), input({ category: 'lighting' })];

async function load(url: string, durationS: number, label: string, headers?: Record<string, string>): Promise<AutocannonResult> {
  const cfg: AutocannonConfig = { url, paths: CATALOG_PATHS, connections: CONNECTIONS, durationS, label, ...(headers ? { headers } : {}) };
  const worker = startWorker<AutocannonResult>('autocannon', cfg);
  try {
    return await worker.result;
  } finally {
    await worker.stop();
  }
}

/** A short unmeasured run first: JIT, connection pools, PostgreSQL's buffers, Nginx's cache. */
async function measure(url: string, durationS: number, label: string, headers?: Record<string, string>): Promise<AutocannonResult> {
  await load(url, Math.min(2, durationS), `${label} (warm-up)`, headers);
  return load(url, durationS, label, headers);
}

// Any session cookie makes Nginx bypass its micro-cache (signed-in pages are private); this one
// opens no session, so the instances answer as for a guest.
const UNCACHED = { cookie: 'shop_session=none' };

export const catalogScenario: Scenario = {
  id: 'catalog',
  title: '1. Catalog reads',
  async run(ctx) {
    const body = emptyBody();
    const sizes = [1_000, 10_000, 100_000];
    const rows: (string | number)[][] = [];
    const floorRps: number[] = [];
    const shopRps: number[] = [];
    let headline:
      | {
          floor: AutocannonResult;
          shop: AutocannonResult;
          nginx: boolean;
          problem?: string;
          uncached?: AutocannonResult;
          noCache?: AutocannonResult;
        }
      | undefined;
    for (const size of sizes) {
      // The 100,000 point is the headline: measure it for the full duration, the others shorter.
      const durationS = size === 100_000 ? ctx.durationS : Math.max(3, Math.round(ctx.durationS / 2));
      const url = await catalogDatabase(size);
      const name = url.slice(url.lastIndexOf('/') + 1);

      const floorPort = await port();
      const floorProc = spawnTracked(process.execPath, [new URL('../floor.ts', import.meta.url).pathname, String(floorPort), dbUrl(name)], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const floorUrl = `http://127.0.0.1:${floorPort}`;
      let floor: AutocannonResult;
      try {
        await waitForHttp(`${floorUrl}/ready`, 'floor server', { child: floorProc });
        floor = await measure(floorUrl, durationS, `floor, ${size} products`);
      } finally {
        await stop(floorProc);
      }

      log(`starting Nginx and three instances on ${name}`);
      const shop = await startShop({ databaseUrl: url, redisUrl: ctx.redis.url });
      let result: AutocannonResult;
      let uncached: AutocannonResult | undefined;
      let noCache: AutocannonResult | undefined;
      try {
        result = await measure(
          shop.url,
          durationS,
          `shop${shop.nginx ? ' via Nginx' : ' (no Nginx: first instance only)'}, ${size} products`,
        );
        if (shop.nginx && size === 100_000) {
          uncached = await measure(shop.url, durationS, `shop via Nginx, micro-cache bypassed, ${size} products`, UNCACHED);
        }
      } finally {
        await shop.stop();
      }
      if (uncached) {
        // The same stack with the instances' catalog cache off: every request runs the SQL, as the floor does.
        log('restarting the instances with CATALOG_CACHE_MS=0');
        const bare = await startShop({ databaseUrl: url, redisUrl: ctx.redis.url, env: { CATALOG_CACHE_MS: '0' } });
        try {
          noCache = await measure(bare.url, durationS, `shop via Nginx, no cache at all, ${size} products`, UNCACHED);
        } finally {
          await bare.stop();
        }
      }
      const measured: [string, AutocannonResult][] = [
        ['floor', floor],
        [shop.nginx ? 'Nginx + 3 instances' : '1 instance (no Nginx)', result],
      ];
      if (uncached) measured.push(['Nginx + 3 instances, micro-cache bypassed (instance cache on)', uncached]);
      if (noCache) measured.push(['Nginx + 3 instances, no cache (CATALOG_CACHE_MS=0)', noCache]);
      for (const [who, r] of measured) {
        rows.push([size, who, round(r.rps, 0), r.latency.p50, r.latency.p99, r.non2xx, r.errors]);
      }
      floorRps.push(floor.rps);
      shopRps.push(result.rps);
      log(`${size} products: floor ${round(floor.rps, 0)} req/s, shop ${round(result.rps, 0)} req/s (p99 ${result.latency.p99} ms)`);
      if (size === 100_000)
        headline = {
          floor,
          shop: result,
          nginx: shop.nginx,
          ...(shop.nginxProblem ? { problem: shop.nginxProblem } : {}),
          ...(uncached ? { uncached } : {}),
          ...(noCache ? { noCache } : {}),
        };
    }
    body.tables.push({
      title: `catalog.list (first page, search "teapot", category page in turn), ${CONNECTIONS} connections`,
      columns: ['products', 'server', '2xx req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      rows,
    });
    body.charts.push({
      name: 'catalog-scaling.svg',
      title: 'Catalog requests/s by catalog size',
      svg: barChart(
        'Catalog reads: requests/s by catalog size',
        'requests/s',
        sizes.map((s) => s.toLocaleString('en')),
        [
          { name: 'floor (node:http + pg)', values: floorRps.map((v) => round(v, 0)) },
          { name: 'shop', values: shopRps.map((v) => round(v, 0)) },
        ],
      ),
    });
    if (headline) {
      const { floor, shop } = headline;
      body.figures.push(
        {
          label: 'requests/s at 100,000 products',
          value: round(shop.rps, 0),
          unit: 'req/s',
          baseline: { label: 'floor', value: round(floor.rps, 0), unit: 'req/s' },
          ratio: ratio(shop.rps, floor.rps),
          target: '≥ 1.0× floor',
          met: shop.rps >= floor.rps && shop.non2xx === 0 && shop.errors === 0,
        },
        {
          label: 'p99 at 100,000 products',
          value: shop.latency.p99,
          unit: 'ms',
          baseline: { label: 'floor p99', value: floor.latency.p99, unit: 'ms' },
          ratio: ratio(shop.latency.p99, floor.latency.p99),
          target: '≤ 50 ms',
          met: shop.latency.p99 <= 50,
        },
      );
      const againstFloor = (label: string, u: AutocannonResult) =>
        body.figures.push({
          label: `requests/s at 100,000 products, ${label}`,
          value: round(u.rps, 0),
          unit: 'req/s',
          baseline: { label: 'floor', value: round(floor.rps, 0), unit: 'req/s' },
          ratio: ratio(u.rps, floor.rps),
          target: '≥ 1.0× floor (p99 ≤ 50 ms)',
          met: u.rps >= floor.rps && u.latency.p99 <= 50 && u.non2xx === 0,
        });
      if (headline.uncached) againstFloor('micro-cache bypassed (instance catalog cache on)', headline.uncached);
      if (headline.noCache) againstFloor('no cache at all (CATALOG_CACHE_MS=0)', headline.noCache);
      body.charts.push({
        name: 'catalog-latency.svg',
        title: 'Catalog latency at 100,000 products',
        svg: latencyChart(`Catalog reads at 100,000 products, ${CONNECTIONS} connections`, [
          { name: 'floor', points: floor.latency },
          { name: headline.nginx ? 'Nginx + 3 instances' : '1 instance', points: shop.latency },
          ...(headline.uncached ? [{ name: 'micro-cache bypassed', points: headline.uncached.latency }] : []),
          ...(headline.noCache ? [{ name: 'no cache', points: headline.noCache.latency }] : []),
        ]),
      });
      if (!headline.nginx)
        body.notes.push(`No Nginx (${headline.problem ?? 'unknown'}): the shop figures are one instance reached directly.`);
    }
    body.notes.push(
      "The floor is one bare node:http process running the catalog service's SQL through pg (pool of 10); the shop is the real stack (Nginx, tRPC, MikroORM, three instances with 10 connections each).",
      "Guests' catalog reads are answered from Nginx's 5-second micro-cache, which is how the stack can pass the floor; the 'micro-cache bypassed' row sends a (sessionless) session cookie, as signed-in shoppers do, so every request reaches an instance, where the instance's catalog cache (CATALOG_CACHE_MS, 2 s) answers repeats; the 'no cache' row turns that off too, so every request runs the SQL as the floor does.",
      'Load comes from autocannon in a separate process on the same 2 CPUs, which it shares with the servers and PostgreSQL.',
    );
    return body;
  },
};
