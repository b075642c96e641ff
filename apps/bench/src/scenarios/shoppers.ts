// 2. Mixed shoppers, each with a chat socket open: step the number of concurrent shoppers up
// until p95 passes 200 ms (or errors appear), within a time bound.
import { sleep } from '@shop/proc';
import pg from 'pg';
import { benchUsers } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import { settle } from '../lib/shop.ts';
import { Histogram, type Percentiles, round } from '../lib/stats.ts';
import { latencyChart } from '../lib/svg.ts';
import { startWorker } from '../lib/workers.ts';
import type { ShoppersConfig, ShoppersStats } from '../workers/shoppers.ts';
import { emptyBody, entryUrls, type Scenario } from './context.ts';

const STEPS = [50, 250, 500, 1_000, 2_000, 3_500, 5_000, 7_500, 10_000];
const WORKERS = 4;
const THINK_MS = 3_000;
const P95_LIMIT_MS = 200;

export const shoppersScenario: Scenario = {
  id: 'shoppers',
  title: '2. Mixed shoppers',
  async run(ctx) {
    const body = emptyBody();
    const { shop, databaseUrl } = await ctx.sharedShop();
    const maxShoppers = STEPS.at(-1) ?? 0;
    const users = await benchUsers(databaseUrl, maxShoppers, 'shopper');
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const products = (
      await db.query<{ id: number; slug: string }>('select id, slug from products where stock > 0 order by random() limit 2000')
    ).rows;
    const categories = (await db.query<{ slug: string }>('select slug from categories')).rows.map((r) => r.slug);
    await db.end();

    const per = Math.ceil(users.length / WORKERS);
    const workers = Array.from({ length: WORKERS }, (_, w) =>
      startWorker<ShoppersStats>('shoppers', {
        url: shop.url,
        socketUrls: entryUrls(shop),
        offset: w * per,
        users: users.slice(w * per, (w + 1) * per),
        products,
        categories,
        thinkMs: THINK_MS,
        label: `shoppers ${w + 1}`,
      } satisfies ShoppersConfig),
    );
    const stepS = Math.max(5, ctx.durationS);
    const budgetMs = (ctx.quick ? 90 : 150) * 1000;
    const started = performance.now();
    const rows: (string | number)[][] = [];
    const curves: { name: string; points: Percentiles }[] = [];
    let held = 0;
    try {
      await Promise.all(workers.map((w) => w.next('ready')));
      await settle(shop.instances, shop.nginx ? { via: shop.url } : {});
      for (const n of STEPS) {
        if (performance.now() - started > budgetMs) {
          log(`time bound reached before ${n} shoppers`);
          break;
        }
        const ramped = workers.map((w) => w.next('ramped'));
        for (const w of workers) w.post({ type: 'step', active: Math.ceil(n / WORKERS) });
        // Every socket of the step open, then one think time for the first requests to spread.
        await Promise.race([Promise.all(ramped), sleep(60_000)]);
        await sleep(THINK_MS);
        for (const w of workers) w.post({ type: 'report' });
        await Promise.all(workers.map((w) => w.next('stats')));
        const t0 = performance.now();
        for (let s = 0; s < stepS; s++) {
          await sleep(1000);
        }
        const replies = workers.map((w) => w.next('stats'));
        for (const w of workers) w.post({ type: 'report' });
        const stats = (await Promise.all(replies)).map((m) => m.stats as ShoppersStats);
        const seconds = (performance.now() - t0) / 1000;
        const hist = new Histogram();
        const statuses: Record<string, number> = {};
        const kinds = new Map<string, Histogram>();
        for (const st of stats) {
          hist.merge(st.latency);
          for (const [k, h] of Object.entries(st.kinds)) {
            if (!kinds.has(k)) kinds.set(k, new Histogram());
            kinds.get(k)?.merge(h);
          }
          for (const [k, v] of Object.entries(st.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
        }
        const p = hist.summary();
        const failures = Object.entries(statuses)
          .filter(([k]) => k === 'error' || k === 'socket_failed' || Number(k) >= 500 || k === '429')
          .reduce((a, [, v]) => a + v, 0);
        const sockets = stats.reduce((a, st) => a + st.sockets, 0);
        const pass = p.p95 <= P95_LIMIT_MS && failures <= 0.01 * Math.max(1, p.count);
        const byKind = [...kinds]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, h]) => `${k} ${h.summary().p95}`)
          .join(', ');
        rows.push([n, sockets, round(p.count / seconds, 0), p.p50, p.p95, p.p99, byKind, JSON.stringify(statuses), pass ? 'yes' : 'no']);
        curves.push({ name: `${n} shoppers`, points: p });
        log(`${n} shoppers: ${round(p.count / seconds, 0)} req/s, p95 ${p.p95} ms, ${sockets} sockets, ${pass ? 'held' : 'not held'}`);
        if (!pass) break;
        held = n;
      }
    } finally {
      for (const w of workers) w.post({ type: 'stop' });
      await Promise.all(workers.map((w) => w.result.catch(() => {})));
      await Promise.all(workers.map((w) => w.stop()));
    }
    body.figures.push({
      label: `concurrent shoppers held at p95 ≤ ${P95_LIMIT_MS} ms`,
      value: held,
      unit: 'shoppers',
      baseline: { label: 'first step', value: STEPS[0] ?? 0, unit: 'shoppers' },
      ratio: round(held / (STEPS[0] ?? 1), 2),
      target: '≥ 5,000',
      met: held >= 5_000,
    });
    body.tables.push({
      title: `Steps (${stepS} s measured each, think time ${THINK_MS / 1000} s ± 50 %, HTTP and chat sockets through ${shop.nginx ? 'Nginx' : 'one instance'})`,
      columns: ['shoppers', 'sockets open', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'p95 ms by request', 'statuses', 'held'],
      rows,
    });
    body.charts.push({
      name: 'shoppers-latency.svg',
      title: 'Shopper request latency by step',
      svg: latencyChart('Shopper requests: latency by number of concurrent shoppers', curves.slice(-6)),
    });
    body.notes.push(
      "A shopper: catalog.list of a random category, catalog.product, cart.add, and checkout.placeOrder on one visit in twenty; signed in (sealed cookie), so Nginx's micro-cache does not serve its catalog reads.",
      'The baseline here is the first step: the headline is how far the count can be stepped up before p95 passes the limit.',
      '409 answers (sold out, or the cart holds more than the stock) are business answers, not failures.',
    );
    return body;
  },
};
