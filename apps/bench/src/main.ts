// pnpm bench [scenario…] [--quick]: starts what it measures, drives load from separate
// processes on 127.0.0.1, and writes results/<time>/report.{json,md} with SVG charts.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { scratchDatabase } from './lib/db.ts';
import { cleanup, installSignalHandlers } from './lib/procs.ts';
import { log } from './lib/progress.ts';
import { type RunReport, type ScenarioReport, writeReport } from './lib/report.ts';
import { type Shop, startRedis, startShop } from './lib/shop.ts';
import { catalogScenario } from './scenarios/catalog.ts';
import { chatScenario } from './scenarios/chat.ts';
import { checkoutScenario } from './scenarios/checkout.ts';
import type { Scenario } from './scenarios/context.ts';
import { shoppersScenario } from './scenarios/shoppers.ts';
import { socketsScenario } from './scenarios/sockets.ts';
import { startupScenario } from './scenarios/startup.ts';

const SCENARIOS: Scenario[] = [catalogScenario, shoppersScenario, checkoutScenario, chatScenario, socketsScenario, startupScenario];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
});
if (values.help) {
  console.log(`usage: pnpm bench [--quick] [scenario…]
scenarios: ${SCENARIOS.map((s, i) => `${i + 1}|${s.id}`).join(', ')} (default: all)
BENCH_DURATION=<s> sets the seconds per measurement (default 10, 3 with --quick).
BENCH_CATALOG_SIZES=<n,n…> sets the catalog scenario's product counts (default 1000,100000,1000000).`);
  process.exit(0);
}

const selected = positionals.length
  ? positionals.map((p) => {
      const s = SCENARIOS.find((sc, i) => sc.id === p || String(i + 1) === p);
      if (!s) {
        console.error(`unknown scenario "${p}"; known: ${SCENARIOS.map((sc) => sc.id).join(', ')}`);
        process.exit(2);
      }
      return s;
    })
  : SCENARIOS;

const quick = values.quick;
const durationS = Number(process.env.BENCH_DURATION ?? (quick ? 3 : 10));
if (!(durationS > 0 && durationS <= 120)) {
  console.error('BENCH_DURATION must be a number of seconds from 1 to 120');
  process.exit(2);
}
const catalogSizes = (process.env.BENCH_CATALOG_SIZES ?? '1000,100000,1000000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
if (!catalogSizes.every((n) => Number.isInteger(n) && n >= 100 && n <= 10_000_000)) {
  console.error('BENCH_CATALOG_SIZES must be product counts from 100 to 10,000,000, comma-separated (e.g. 1000,100000)');
  process.exit(2);
}

// Socket scenarios need many descriptors; children (servers, workers) inherit the raised limit.
try {
  execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=200000:200000'], { stdio: 'ignore' });
} catch {
  // Not permitted (no CAP_SYS_RESOURCE): the socket scenarios spread over more processes instead.
}

installSignalHandlers();
const run: RunReport = {
  startedAt: new Date().toISOString(),
  quick,
  durationS,
  machine: { cpus: cpus().length, load: loadavg(), node: process.version, memoryGb: Math.round(totalmem() / 2 ** 30) },
  scenarios: [],
};
const resultsDir = new URL('../results/', import.meta.url).pathname;
log(`${selected.length} scenario(s), ${durationS} s per measurement${quick ? ' (quick)' : ''}; Ctrl-C stops everything`);

const redis = await startRedis();
let scratch: Promise<string> | undefined;
const scratchCatalog = () => {
  scratch ??= scratchDatabase('shop_bench_rw', 10_000);
  return scratch;
};
let shared: Promise<{ shop: Shop; databaseUrl: string }> | undefined;
const sharedShop = () => {
  shared ??= (async () => {
    const databaseUrl = await scratchCatalog();
    log('starting Nginx and three instances on a scratch copy of the 10,000-product catalog (shared by scenarios 2–4)');
    return { shop: await startShop({ databaseUrl, redisUrl: redis.url }), databaseUrl };
  })();
  return shared;
};
const freshShop = async () => {
  const databaseUrl = await scratchCatalog();
  log('starting a fresh Nginx and three fresh instances on the scratch catalog');
  return { shop: await startShop({ databaseUrl, redisUrl: redis.url }), databaseUrl };
};
try {
  for (const scenario of selected) {
    log(`── ${scenario.title}`);
    const started = performance.now();
    const report: ScenarioReport = { id: scenario.id, title: scenario.title, figures: [], tables: [], charts: [], notes: [], seconds: 0 };
    try {
      Object.assign(report, await scenario.run({ quick, durationS, catalogSizes, redis, sharedShop, freshShop }));
    } catch (error) {
      report.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${scenario.title} failed: ${report.error}`);
    }
    report.seconds = (performance.now() - started) / 1000;
    for (const f of report.figures) {
      log(
        `${f.label}: ${f.value} ${f.unit}${f.baseline ? ` vs ${f.baseline.label} ${f.baseline.value} ${f.baseline.unit}` : ''}${f.ratio !== undefined ? ` = ${f.ratio}×` : ''}${f.target ? ` (target ${f.target}: ${f.met ? 'met' : 'not met'})` : ''}`,
      );
    }
    run.scenarios.push(report);
  }
} finally {
  await cleanup();
}
const out = await writeReport(resultsDir, run);
log(`report: ${out}/report.md (and report.json); latest copy: ${resultsDir}latest.md`);
process.exit(run.scenarios.some((s) => s.error) ? 1 : 0);
