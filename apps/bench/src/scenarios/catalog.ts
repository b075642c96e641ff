// 1. Catalog reads on the uncached path: Nginx and three instances with every cache off (a session
// cookie bypasses the micro-cache, CATALOG_CACHE_MS=0) against floors running the same SQL with
// no framework, over every catalog query shape, at 64 connections, at each catalog size. The
// caches are measured too, as rows of their own.

import { DEMO_ACCOUNTS, pgSessionOptions } from '@shop/db';
import { catalog } from '@shop/domain';
import { catalogDatabase, dbUrl, seededSessionCookie } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import type { Table } from '../lib/report.ts';
import { type Shop, startShop } from '../lib/shop.ts';
import { ratio, round } from '../lib/stats.ts';
import { barChart, latencyChart } from '../lib/svg.ts';
import type { AutocannonResult } from '../workers/autocannon.ts';
import {
  CONNECTIONS,
  INSTANCES,
  measure,
  POOL_MAX,
  type Shape,
  type ShapeLatency,
  sameAnswers,
  shapeLatencies,
  shapePath,
  startFloor,
} from './catalog-load.ts';
import { catalogPlans } from './catalog-plans.ts';
import { emptyBody, type Scenario } from './context.ts';

/**
 * Tables of their own added after the measurements, given the largest catalog: the place for the
 * query plans per shape (shape, median ms, top node) from ./catalog-plans.ts (issue 15), one entry.
 */
const EXTRA_TABLES: ((largest: { databaseUrl: string; size: number }) => Promise<Table>)[] = [
  // Every shape's plan at the largest size: median execution time and top node, flagged where a
  // plan reads every product (the committed query-plan check, as a bench step).
  async ({ databaseUrl, size }) => {
    const report = await catalogPlans(databaseUrl, size);
    for (const problem of report.problems) log(`query plan reads every product: ${problem}`);
    return report.table;
  },
];

interface Row {
  size: number;
  who: string;
  /** processes × database connections each */
  form: string;
  result: AutocannonResult;
}

export const catalogScenario: Scenario = {
  id: 'catalog',
  title: '1. Catalog reads',
  async run(ctx) {
    const body = emptyBody();
    const sizes = ctx.catalogSizes;
    const largestSize = sizes.at(-1) ?? 0;
    const rows: Row[] = [];
    const fairFloors = new Map<number, AutocannonResult>();
    const uncachedShop = new Map<number, AutocannonResult>();
    const singleFloors = new Map<number, AutocannonResult>();
    let shapesAtLargest: { shapes: Shape[]; floor: ShapeLatency[]; shop: ShapeLatency[] } | undefined;
    let largestDatabaseUrl = '';
    let nginx: Pick<Shop, 'nginx' | 'nginxProblem'> = { nginx: true };
    const differing = new Set<string>();

    for (const size of sizes) {
      // The largest size is the headline: measured for the full duration, the others shorter.
      const isLargest = size === largestSize;
      const durationS = isLargest ? ctx.durationS : Math.max(3, Math.round(ctx.durationS / 2));
      const databaseUrl = await catalogDatabase(size);
      const name = databaseUrl.slice(databaseUrl.lastIndexOf('/') + 1);
      if (isLargest) largestDatabaseUrl = databaseUrl;
      const shapes = catalog.catalogQueryShapes(size);
      const paths = shapes.map(shapePath);
      // Signed in as the seed's shopper: a session makes Nginx bypass its micro-cache. Catalog reads
      // are public (publicReadProcedure): the instance opens the cookie but loads no user.
      const signedIn = { cookie: await seededSessionCookie(databaseUrl, DEMO_ACCOUNTS[0].email) };
      // A cookie named like the session but opening none: the micro-cache is bypassed, the
      // instance answers as for a guest (a guest's cache miss).
      const guestMiss = { cookie: 'shop_session=none' };
      const add = (who: string, form: string, result: AutocannonResult) => {
        rows.push({ size, who, form, result });
        return result;
      };

      for (const processes of [1, INSTANCES]) {
        const floor = await startFloor(dbUrl(name), processes);
        try {
          const r = add(
            processes === 1 ? 'floor, 1 process' : `fair floor, ${processes} processes`,
            floor.form,
            await measure({ url: floor.url, database: name }, paths, durationS, `floor ${floor.form}, ${size} products`),
          );
          if (processes === 1) singleFloors.set(size, r);
          else {
            fairFloors.set(size, r);
            if (isLargest) {
              log(`each shape alone on the fair floor, ${size} products`);
              const floorShapes = await shapeLatencies({ url: floor.url, database: name }, shapes);
              shapesAtLargest = { shapes, floor: floorShapes, shop: [] };
            }
          }
        } finally {
          await floor.stop();
        }
      }

      const shopForm = `${INSTANCES} × ${POOL_MAX}`;
      log(`starting Nginx and ${INSTANCES} instances on ${name} (standard caches)`);
      const cached = await startShop({
        databaseUrl,
        redisUrl: ctx.redis.url,
        instances: INSTANCES,
        env: { DB_POOL_MAX: String(POOL_MAX) },
      });
      nginx = cached;
      try {
        if (cached.nginx)
          add(
            'cache: guests, Nginx micro-cache',
            shopForm,
            await measure({ url: cached.url, database: name }, paths, durationS, `shop, guests, ${size} products`),
          );
        add(
          'cache: signed in, instance cache',
          shopForm,
          await measure(
            { url: cached.url, database: name, headers: signedIn },
            paths,
            durationS,
            `shop, signed in, instance cache, ${size} products`,
          ),
        );
      } finally {
        await cached.stop();
      }

      log(`starting Nginx and ${INSTANCES} instances on ${name} with CATALOG_CACHE_MS=0`);
      const uncached = await startShop({
        databaseUrl,
        redisUrl: ctx.redis.url,
        instances: INSTANCES,
        env: { DB_POOL_MAX: String(POOL_MAX), CATALOG_CACHE_MS: '0' },
      });
      try {
        const floorForCheck = await startFloor(dbUrl(name), 1);
        try {
          for (const shape of await sameAnswers(floorForCheck.url, uncached.url, shapes, signedIn)) differing.add(shape);
        } finally {
          await floorForCheck.stop();
        }
        const r = add(
          'shop uncached, signed in (headline)',
          shopForm,
          await measure(
            { url: uncached.url, database: name, headers: signedIn },
            paths,
            durationS,
            `shop uncached, signed in, ${size} products`,
          ),
        );
        uncachedShop.set(size, r);
        if (uncached.nginx)
          add(
            'shop uncached, guest (micro-cache miss)',
            shopForm,
            await measure(
              { url: uncached.url, database: name, headers: guestMiss },
              paths,
              durationS,
              `shop uncached, guest, ${size} products`,
            ),
          );
        if (isLargest && shapesAtLargest) {
          log(`each shape alone on the uncached shop, ${size} products`);
          shapesAtLargest.shop = await shapeLatencies({ url: uncached.url, database: name, headers: signedIn }, shapes);
        }
      } finally {
        await uncached.stop();
      }
      const fair = fairFloors.get(size);
      log(
        `${size} products: fair floor ${round(fair?.rps ?? 0, 0)} req/s, uncached shop ${round(rpsOf(uncachedShop.get(size)), 0)} req/s (p99 ${uncachedShop.get(size)?.latency.p99} ms)`,
      );
    }

    const where = nginx.nginx ? 'Nginx + 3 instances' : '3 instances, load on the first (no Nginx)';
    body.tables.push({
      title: `catalog reads, every query shape in turn, ${CONNECTIONS} connections (${where}); cache rows are cache results, not the headline`,
      columns: ['products', 'server', 'processes × DB connections', '2xx req/s', '÷ fair floor', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
      rows: rows.map(({ size, who, form, result: r }) => {
        const fair = fairFloors.get(size);
        return [
          size,
          who,
          form,
          round(r.rps, 0),
          fair ? `${ratio(r.rps, fair.rps)}×` : '',
          r.latency.p50,
          r.latency.p99,
          r.non2xx,
          r.errors,
        ];
      }),
    });
    if (shapesAtLargest) {
      const { shapes, floor, shop } = shapesAtLargest;
      body.tables.push({
        title: `each shape alone at ${largestSize.toLocaleString('en')} products, one request at a time (up to 20 or 3 s each): fair floor and uncached shop (signed in)`,
        columns: ['shape', 'floor median ms', 'floor max ms', 'shop median ms', 'shop max ms', 'shop − floor median ms'],
        rows: shapes.map((s, i) => {
          const f = floor[i];
          const h = shop[i];
          return [s.name, f?.median ?? '', f?.max ?? '', h?.median ?? '', h?.max ?? '', f && h ? round(h.median - f.median, 1) : ''];
        }),
      });
    }
    for (const table of EXTRA_TABLES) body.tables.push(await table({ databaseUrl: largestDatabaseUrl, size: largestSize }));

    body.charts.push({
      name: 'catalog-scaling.svg',
      title: 'Catalog requests/s by catalog size, uncached',
      svg: barChart(
        'Catalog reads, uncached: requests/s by catalog size',
        'requests/s',
        sizes.map((s) => s.toLocaleString('en')),
        [
          { name: 'floor, 1 process', values: sizes.map((s) => round(rpsOf(singleFloors.get(s)), 0)) },
          { name: 'fair floor, 3 processes', values: sizes.map((s) => round(rpsOf(fairFloors.get(s)), 0)) },
          { name: 'shop, uncached', values: sizes.map((s) => round(rpsOf(uncachedShop.get(s)), 0)) },
        ],
      ),
    });

    const fair = fairFloors.get(largestSize);
    const shop = uncachedShop.get(largestSize);
    const at = `at ${largestSize.toLocaleString('en')} products`;
    if (fair && shop) {
      const clean = (r: AutocannonResult) => r.non2xx === 0 && r.errors === 0;
      body.figures.push(
        {
          label: `uncached shop (signed in, every cache off) ${at}`,
          value: round(shop.rps, 0),
          unit: 'req/s',
          baseline: { label: 'fair floor (3 processes × 10 connections)', value: round(fair.rps, 0), unit: 'req/s' },
          ratio: ratio(shop.rps, fair.rps),
          target: '≥ 0.6× fair floor',
          met: nginx.nginx && shop.rps >= 0.6 * fair.rps && clean(shop) && clean(fair),
        },
        {
          label: `uncached shop p99 ${at}, ${CONNECTIONS} connections`,
          value: shop.latency.p99,
          unit: 'ms',
          baseline: { label: 'fair floor p99', value: fair.latency.p99, unit: 'ms' },
          ratio: ratio(shop.latency.p99, fair.latency.p99),
          target: '≤ 50 ms',
          met: nginx.nginx && shop.latency.p99 <= 50 && clean(shop),
        },
      );
      const smallest = sizes[0];
      const fairSmall = smallest === undefined ? undefined : fairFloors.get(smallest);
      if (smallest !== undefined && fairSmall && smallest !== largestSize)
        body.figures.push({
          label: `fair floor ${at}`,
          value: round(fair.rps, 0),
          unit: 'req/s',
          baseline: { label: `fair floor at ${smallest.toLocaleString('en')}`, value: round(fairSmall.rps, 0), unit: 'req/s' },
          ratio: ratio(fair.rps, fairSmall.rps),
          target: '≥ 0.8× (the SQL does not grow with the catalog)',
          met: fair.rps >= 0.8 * fairSmall.rps && clean(fair),
        });
      body.charts.push({
        name: 'catalog-latency.svg',
        title: `Catalog latency ${at}, uncached`,
        svg: latencyChart(`Catalog reads ${at}, ${CONNECTIONS} connections, uncached`, [
          { name: 'fair floor', points: fair.latency },
          { name: 'floor, 1 process', points: singleFloors.get(largestSize)?.latency ?? {} },
          { name: 'shop, signed in', points: shop.latency },
        ]),
      });
    }

    if (!nginx.nginx)
      body.notes.push(
        `No Nginx (${nginx.nginxProblem ?? 'unknown'}): the shop's load went to its first instance only, and there is no micro-cache row.`,
      );
    if (differing.size)
      body.notes.push(
        `⚠️ The floor and the shop answered differently to: ${[...differing].join(', ')} (they should run the same SQL on the same data).`,
      );
    body.notes.push(
      `The mix: every shape of \`catalogQueryShapes\` (@shop/domain) in turn, as GET requests: ${catalog
        .catalogQueryShapes(largestSize)
        .map((s) => s.name)
        .join('; ')}.`,
      "Headline: the uncached path, as a signed-in shopper takes it. The instances run with CATALOG_CACHE_MS=0 and each request carries the seeded shopper's session cookie, so Nginx neither reads nor fills its micro-cache; catalog reads are public, so the instance opens the cookie but loads no user. 'shop uncached, guest' sends a cookie named like the session that opens none: the micro-cache is bypassed as for a guest's cache miss (the same work but for opening the cookie).",
      `Floor, 1 process: bare node:http + pg running the shop's own SQL (catalogListQuery, CATEGORIES_QUERY) with no framework, no validation and no session; one pg.Pool (max and min ${POOL_MAX}, opened at start) with the shop's session settings (${pgSessionOptions}). Fair floor: the same as ${INSTANCES} node:cluster workers sharing one port (new connections handed round-robin), each with its own pool of ${POOL_MAX}: ${INSTANCES * POOL_MAX} connections, as the shop's ${INSTANCES} instances × DB_POOL_MAX ${POOL_MAX}.`,
      `Shop: @shop/nginx's standard configuration (per-IP rate limits lifted: all load comes from one address) in front of ${INSTANCES} instances (NODE_ENV=production, DB_POOL_MAX=${POOL_MAX}: MikroORM pool max ${POOL_MAX}, all opened at start and kept, DB_POOL_MIN's default). Cache rows run at the standard settings (micro-cache 5 s for guests, CATALOG_CACHE_MS 2,000): they show what the caches add, with this mix's few distinct URLs almost all hits; a real catalog's long tail is not.`,
      'Load comes from autocannon in a separate process on the same 2 CPUs, which it shares with the servers and PostgreSQL.',
    );
    return body;
  },
};

const rpsOf = (r: AutocannonResult | undefined) => r?.rps ?? 0;
