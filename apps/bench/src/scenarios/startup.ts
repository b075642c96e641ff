// 6. Start and bundle: `pnpm start`'s server (node apps/server/src/main.ts) on an existing,
// seeded database until it serves a product, against a bare node:http process's start in the
// same run; and the SPA's initial JavaScript, gzipped, as apps/web/src/bundle.test.ts measures it.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { repoRoot, SERVER_NODE_FLAGS, serverMain, spawnTracked, stop, waitForHttp } from '@shop/proc';
import pg from 'pg';
import { catalogDatabase } from '../lib/db.ts';
import { port } from '../lib/ports.ts';
import { log } from '../lib/progress.ts';
import { instanceEnv } from '../lib/shop.ts';
import { ratio, round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';
import { emptyBody, type Scenario } from './context.ts';

const BUNDLE_BUDGET_KB = 120;

/** Milliseconds from spawning `args` until `url` answers 200. */
async function timeToServe(args: string[], env: Record<string, string>, url: string): Promise<number> {
  const started = performance.now();
  const child = spawnTracked(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
    cwd: repoRoot,
  });
  try {
    await waitForHttp(url, args.join(' '), { child, intervalMs: 10, timeoutMs: 120_000 });
    return performance.now() - started;
  } finally {
    await stop(child);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Builds the SPA into a temporary folder and sums the gzipped size of the scripts index.html loads. */
async function initialJsGzipped(): Promise<{ bytes: number; files: string[] }> {
  const outDir = await mkdtemp(join(tmpdir(), 'shop-bench-web-'));
  try {
    const webDir = join(repoRoot, 'apps/web');
    await promisify(execFile)(
      process.execPath,
      [join(webDir, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'],
      {
        cwd: webDir,
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const initial = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] ?? '');
    const present = new Set(await readdir(join(outDir, 'assets')));
    let bytes = 0;
    for (const name of initial.filter((n) => present.has(n))) bytes += gzipSync(await readFile(join(outDir, 'assets', name))).length;
    return { bytes, files: initial };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export const startupScenario: Scenario = {
  id: 'startup',
  title: '6. Start and bundle',
  async run() {
    const body = emptyBody();
    const databaseUrl = await catalogDatabase(1_000);
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const slug = (await client.query<{ slug: string }>('select slug from products order by id limit 1')).rows[0]?.slug;
    await client.end();
    if (!slug) throw new Error('no product to ask for');

    const rounds = 3;
    const bare: number[] = [];
    const shop: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const p1 = await port();
      bare.push(
        await timeToServe(
          ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${p1}, '127.0.0.1')`],
          {},
          `http://127.0.0.1:${p1}/`,
        ),
      );
      const p2 = await port();
      const productUrl = `http://127.0.0.1:${p2}/trpc/catalog.product?input=${encodeURIComponent(JSON.stringify({ slug }))}`;
      shop.push(
        await timeToServe(
          [...SERVER_NODE_FLAGS, serverMain],
          {
            ...instanceEnv(),
            NODE_ENV: 'development',
            DATABASE_URL: databaseUrl,
            PORT: String(p2),
            INSTANCE_NAME: 'start',
            SEED_PRODUCTS: '1000',
          },
          productUrl,
        ),
      );
      log(`start ${i + 1}/${rounds}: bare node:http ${round(bare.at(-1) ?? 0, 0)} ms, shop ${round(shop.at(-1) ?? 0, 0)} ms`);
    }
    const bareMs = median(bare);
    const shopMs = median(shop);
    log('building the SPA to measure its initial JavaScript');
    const bundle = await initialJsGzipped();
    const kb = bundle.bytes / 1024;
    body.figures.push(
      {
        label: 'start to first product served (median)',
        value: round(shopMs, 0),
        unit: 'ms',
        baseline: { label: 'bare node:http start', value: round(bareMs, 0), unit: 'ms' },
        ratio: ratio(shopMs, bareMs),
      },
      {
        label: 'SPA initial JavaScript, gzipped',
        value: round(kb, 1),
        unit: 'KB',
        baseline: { label: 'budget (bundle.test.ts)', value: BUNDLE_BUDGET_KB, unit: 'KB' },
        ratio: ratio(kb, BUNDLE_BUDGET_KB),
        target: `≤ ${BUNDLE_BUDGET_KB} KB`,
        met: kb <= BUNDLE_BUDGET_KB,
      },
    );
    body.tables.push(
      {
        title: `Start-up, ${rounds} rounds (existing migrated and seeded database, no Redis)`,
        columns: ['process', ...bare.map((_, i) => `round ${i + 1} ms`), 'median ms'],
        rows: [
          ['bare node:http', ...bare.map((v) => round(v, 0)), round(bareMs, 0)],
          ['node apps/server/src/main.ts → catalog.product', ...shop.map((v) => round(v, 0)), round(shopMs, 0)],
        ],
      },
      { title: 'Initial JavaScript', columns: ['files', 'gzipped KB'], rows: [[bundle.files.join(', '), round(kb, 1)]] },
    );
    body.charts.push({
      name: 'startup.svg',
      title: 'Start-up time',
      svg: barChart(
        'Spawn → first successful response (ms, median)',
        'ms',
        ['bare node:http', 'shop → product'],
        [{ name: 'start-up', values: [round(bareMs, 0), round(shopMs, 0)] }],
      ),
    });
    body.notes.push(
      'The shop starts as `pnpm start` runs it (its SPA build step excluded) against the already migrated and seeded shop_bench_1000 database.',
      'The bundle is built by Vite into a temporary folder and measured as apps/web/src/bundle.test.ts does: the scripts index.html references, gzipped.',
    );
    return body;
  },
};
