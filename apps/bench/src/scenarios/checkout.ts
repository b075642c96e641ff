// 3. Checkout throughput: distinct shoppers each ordering a distinct product, against pgbench's
// TPC-B-like tps on the same PostgreSQL in the same run; then a contended product for oversell.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { admin, benchUsers, dbUrl, PG_BASE } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import { settle } from '../lib/shop.ts';
import { Histogram, ratio, round } from '../lib/stats.ts';
import { latencyChart } from '../lib/svg.ts';
import { startWorker } from '../lib/workers.ts';
import type { HttpJobsConfig, HttpJobsResult, Job } from '../workers/http-jobs.ts';
import { emptyBody, type Scenario } from './context.ts';

const run = promisify(execFile);
const PGBENCH = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';
const PGBENCH_DB = 'shop_bench_pgbench';
const CONCURRENCY = 16;
/**
 * pgbench's standard setting, a scale of at least its clients: at scale 1 every client updates the
 * one branch row, which pgbench's documentation warns holds the baseline down.
 */
const PGBENCH_SCALE = CONCURRENCY;
const STOCK = 10;
const HOT_STOCK = 50;
const HOT_BUYERS = 200;
const ADDRESS = { name: 'Bench Shopper', line1: '1 Load Street', city: 'Berlin', postalCode: '10115', country: 'DE' };

async function pgbenchTps(durationS: number): Promise<number> {
  const { hostname, port } = new URL(PG_BASE);
  const conn = ['-h', hostname, '-p', port || '5432', '-U', 'postgres'];
  const exists = await admin(async (c) => (await c.query('select 1 from pg_database where datname = $1', [PGBENCH_DB])).rowCount === 1);
  if (!exists) await admin((c) => c.query(`create database ${PGBENCH_DB}`));
  // pgbench's scale is its branch rows; an older database may hold another.
  const scale = exists
    ? await admin(async (c) => {
        const tables = await c.query(`select 1 from pg_class where relname = 'pgbench_branches'`);
        return tables.rowCount ? Number((await c.query('select count(*) as n from pgbench_branches')).rows[0]?.n) : 0;
      }, PGBENCH_DB)
    : 0;
  if (scale !== PGBENCH_SCALE) await run(PGBENCH, [...conn, '-i', '-q', '-s', String(PGBENCH_SCALE), PGBENCH_DB]);
  log(`pgbench (TPC-B-like), scale ${PGBENCH_SCALE}, ${CONCURRENCY} clients, ${durationS} s`);
  const { stdout } = await run(PGBENCH, [...conn, '-c', String(CONCURRENCY), '-j', '2', '-T', String(durationS), PGBENCH_DB]);
  const tps = /tps = ([\d.]+)/.exec(stdout)?.[1];
  if (!tps) throw new Error(`no tps in pgbench's output:\n${stdout}`);
  return Number(tps);
}

async function checkouts(url: string, jobs: Job[], maxSeconds: number, label: string): Promise<HttpJobsResult> {
  const cfg: HttpJobsConfig = { url, jobs, concurrency: CONCURRENCY, maxSeconds, label };
  const worker = startWorker<HttpJobsResult>('http-jobs', cfg);
  try {
    return await worker.result;
  } finally {
    await worker.stop();
  }
}

const placeOrder = (cookie: string): Job => ({
  path: '/trpc/checkout.placeOrder',
  cookie,
  body: { idempotencyKey: crypto.randomUUID(), shippingAddress: ADDRESS },
});

export const checkoutScenario: Scenario = {
  id: 'checkout',
  title: '3. Checkout throughput',
  async run(ctx) {
    const body = emptyBody();
    const { shop, databaseUrl: url } = await ctx.sharedShop();
    // The baseline on a quiet machine: the shared instances may still be draining an earlier
    // scenario's load (the shoppers' last step overloads them on purpose).
    await settle(shop.instances, shop.nginx ? { via: shop.url } : {});
    const tps = await pgbenchTps(ctx.durationS);

    // More shoppers than can check out in the time, each with one distinct product in the cart.
    const shoppers = await benchUsers(url, ctx.quick ? 3_000 : 8_000, 'checkout');
    const hot = await benchUsers(url, HOT_BUYERS, 'hot');
    const buyers = [...shoppers, ...hot].map((s) => s.id);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      // Products of one variant, whose cart lines and stock need no variant named.
      const { rows: picked } = await db.query<{ id: number }>(
        `select p.id from products p where (select count(*) from product_variants v where v.product_id = p.id) = 1 order by p.id limit $1`,
        [shoppers.length + 1],
      );
      const productIds = picked.map((p) => p.id);
      const hotProduct = productIds.pop();
      if (hotProduct === undefined || productIds.length < shoppers.length) throw new Error('too few single-variant products');
      await db.query(
        `with u as (select id, row_number() over (order by email) as rn from users where id = any($1::uuid[])),
              c as (insert into carts (user_id) select id from u returning id, user_id)
         insert into cart_items (cart_id, product_id, quantity) select c.id, ($2::int[])[u.rn], 1 from c join u on u.id = c.user_id`,
        [shoppers.map((s) => s.id), productIds],
      );
      await db.query('update products set stock = $1 where id = any($2::int[])', [STOCK, productIds]);
      await db.query('update products set stock = $1 where id = $2', [HOT_STOCK, hotProduct]);
      await db.query(
        `with c as (insert into carts (user_id) select unnest($1::uuid[]) returning id)
         insert into cart_items (cart_id, product_id, quantity) select id, $2, 1 from c`,
        [hot.map((s) => s.id), hotProduct],
      );

      await settle(shop.instances, shop.nginx ? { via: shop.url } : {});
      // Warm-up on a few shoppers (their orders count in the oversell check, not in the rate).
      await checkouts(
        shop.url,
        shoppers.slice(0, 100).map((s) => placeOrder(s.cookie)),
        30,
        'checkout (warm-up)',
      );
      const distinct = await checkouts(
        shop.url,
        shoppers.slice(100).map((s) => placeOrder(s.cookie)),
        ctx.durationS,
        'checkout',
      );
      const contended = await checkouts(
        shop.url,
        hot.map((s) => placeOrder(s.cookie)),
        60,
        `${HOT_BUYERS} shoppers, one product with stock ${HOT_STOCK}`,
      );

      const [check] = (
        await db.query<{ negative: number; orders: number; ordered: number; decremented: number; hot_orders: number; hot_stock: number }>(
          `select (select count(*)::int from products where stock < 0) as negative,
                  (select count(*)::int from orders where user_id = any($4::uuid[])) as orders,
                  (select coalesce(sum(l.quantity), 0)::int from order_lines l join orders o on o.id = l.order_id where o.user_id = any($4::uuid[])) as ordered,
                  (select sum(case when id = $1::int then $3::int else $2::int end - stock)::int from products
                   where id = $1::int or id = any($5::int[])) as decremented,
                  (select count(distinct order_id)::int from order_lines where product_id = $1::int) as hot_orders,
                  (select stock from products where id = $1::int) as hot_stock`,
          [hotProduct, STOCK, HOT_STOCK, buyers, productIds],
        )
      ).rows;
      if (!check) throw new Error('oversell check returned nothing');
      const ok = distinct.statuses['200'] ?? 0;
      const ordersPerS = ok / distinct.seconds;
      const latency = Histogram.from(distinct.latency).summary();
      const noOversell =
        check.negative === 0 &&
        check.ordered === check.decremented &&
        check.hot_orders === HOT_STOCK - check.hot_stock &&
        check.hot_stock >= 0;
      body.figures.push(
        {
          label: 'orders/s (distinct shoppers and products)',
          value: round(ordersPerS, 1),
          unit: 'orders/s',
          baseline: { label: `pgbench TPC-B-like, scale ${PGBENCH_SCALE}, ${CONCURRENCY} clients`, value: round(tps, 0), unit: 'tps' },
          ratio: ratio(ordersPerS, tps),
          target: '≥ 0.5× pgbench',
          met: ordersPerS >= 0.5 * tps,
        },
        {
          label: 'oversell (negative stock, orders ≠ decrements)',
          value: check.negative + Math.abs(check.ordered - check.decremented),
          unit: 'rows',
          target: '0',
          met: noOversell,
        },
      );
      body.tables.push(
        {
          title: `checkout.placeOrder through ${shop.nginx ? 'Nginx and three instances' : 'one instance'}, ${CONCURRENCY} at a time`,
          columns: ['run', 'requests', 'statuses', 'seconds', 'p50 ms', 'p99 ms'],
          rows: [
            [
              'distinct shoppers and products',
              distinct.done,
              JSON.stringify(distinct.statuses),
              round(distinct.seconds, 1),
              latency.p50,
              latency.p99,
            ],
            [
              `${HOT_BUYERS} shoppers, one product (stock ${HOT_STOCK})`,
              contended.done,
              JSON.stringify(contended.statuses),
              round(contended.seconds, 1),
              Histogram.from(contended.latency).summary().p50,
              Histogram.from(contended.latency).summary().p99,
            ],
          ],
        },
        {
          title: 'Stock check after the run',
          columns: [
            'products below 0',
            'orders',
            'units ordered',
            'units taken from stock',
            'orders of the contended product',
            'its stock left',
          ],
          rows: [[check.negative, check.orders, check.ordered, check.decremented, check.hot_orders, check.hot_stock]],
        },
      );
      body.charts.push({
        name: 'checkout-latency.svg',
        title: 'checkout.placeOrder latency',
        svg: latencyChart(`checkout.placeOrder, ${CONCURRENCY} concurrent`, [{ name: 'placeOrder', points: latency }]),
      });
      body.notes.push(
        `pgbench: ${CONCURRENCY} clients, scale ${PGBENCH_SCALE}, database ${PGBENCH_DB} on the same server (${dbUrl('')}), run just before the checkouts.`,
        'Shoppers are inserted directly with sealed session cookies and carts filled in SQL: the measured part is checkout.placeOrder alone.',
      );
    } finally {
      await db.end();
    }
    return body;
  },
};
