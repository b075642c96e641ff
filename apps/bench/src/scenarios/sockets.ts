// 5. Idle WebSocket capacity: subscribed sockets held through Nginx by three instances started for
// this scenario alone, and the instances' (and Nginx's) resident memory per socket.
import { sleep } from '@shop/proc';
import { benchUsers } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import { cpuSeconds, rss, type Shop, settle } from '../lib/shop.ts';
import { round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';
import { startWorker } from '../lib/workers.ts';
import type { SocketsConfig, SocketsResult } from '../workers/sockets.ts';
import { type BenchContext, emptyBody, entryUrls, type Scenario, type ScenarioBody } from './context.ts';

const TARGET = Number(process.env.BENCH_SOCKETS ?? 20_000);
// Each client process stays well under the 20,000 open files it may have here.
const PER_WORKER = 5_000;
const USERS = 5_000;

async function instancesRss(pids: number[]): Promise<number> {
  return (await Promise.all(pids.map(rss))).reduce((a, b) => a + b, 0);
}

export const socketsScenario: Scenario = {
  id: 'sockets',
  title: '5. Idle WebSocket capacity',
  async run(ctx) {
    // Fresh instances: memory an earlier scenario grew would count against the sockets.
    const { shop, databaseUrl } = await ctx.freshShop();
    try {
      return await holdSockets(ctx, shop, databaseUrl);
    } finally {
      await shop.stop();
    }
  },
};

async function holdSockets(ctx: BenchContext, shop: Shop, databaseUrl: string): Promise<ScenarioBody> {
  const body = emptyBody();
  const pids = shop.instances.map((i) => i.pid).filter((p): p is number => p !== null);
  const users = await benchUsers(databaseUrl, USERS, 'socket');
  await settle(shop.instances);
  const before = await instancesRss(pids);
  const nginxBefore = await instancesRss(await shop.nginxPids());
  const workers = Math.ceil(TARGET / PER_WORKER);
  log(`opening ${TARGET.toLocaleString('en')} subscribed sockets from ${workers} processes`);
  const running = Array.from({ length: workers }, (_, w) =>
    startWorker<SocketsResult>('sockets', {
      urls: entryUrls(shop),
      cookies: users.map((u) => u.cookie),
      count: Math.min(PER_WORKER, TARGET - w * PER_WORKER),
      offset: w * PER_WORKER,
      openSeconds: ctx.quick ? 120 : 150,
      label: `socket worker ${w + 1}`,
    } satisfies SocketsConfig),
  );
  try {
    const ready = await Promise.all(running.map((w) => w.next('ready')));
    const opened = ready.reduce((n, m) => n + Number(m.opened), 0);
    await settle(shop.instances);
    const after = await instancesRss(pids);
    const nginxAfter = await instancesRss(await shop.nginxPids());
    // Held at least one recheck interval (15 s), so the streams' periodic checks are in the CPU figure.
    const holdS = Math.max(16, ctx.durationS);
    log(`${opened} sockets open; holding them ${holdS} s`);
    const cpu = async () => (await Promise.all(pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const cpuBefore = await cpu();
    const holdStarted = performance.now();
    await sleep(holdS * 1000);
    const idleCpu = (100 * (await cpu()) - 100 * cpuBefore) / ((performance.now() - holdStarted) / 1000);
    for (const w of running) w.post({ type: 'stop' });
    const results = await Promise.all(running.map((w) => w.result));
    const openAtEnd = results.reduce((n, r) => n + r.openAtEnd, 0);
    const failed = results.reduce((n, r) => n + r.failed, 0);
    const perSocket = (after - before) / Math.max(1, opened);
    const perInstanceBefore = before / pids.length;
    body.figures.push(
      {
        label: 'subscribed sockets held',
        value: openAtEnd,
        unit: 'sockets',
        baseline: { label: 'attempted', value: TARGET, unit: 'sockets' },
        ratio: round(openAtEnd / TARGET, 3),
        target: '≥ 20,000',
        met: openAtEnd >= 20_000,
      },
      {
        label: 'memory per socket (RSS delta / sockets)',
        value: round(perSocket / 1024, 1),
        unit: 'KB',
        baseline: { label: 'idle instance RSS', value: round(perInstanceBefore / 2 ** 20, 0), unit: 'MB' },
        ratio: round(perSocket / perInstanceBefore, 5),
        target: '≤ 10 KB',
        met: perSocket <= 10 * 1024,
      },
    );
    body.tables.push({
      title: `Sockets over ${pids.length} instances (chat.onMessage on the lobby, ${USERS.toLocaleString('en')} users)`,
      columns: [
        'attempted',
        'opened',
        'failed',
        `open after ${holdS} s`,
        "instances' CPU while held (% of one core)",
        'RSS before (MB)',
        'RSS after (MB)',
        'per socket (KB)',
        'Nginx RSS before → after (MB)',
        'Nginx per socket (KB)',
        'first error',
      ],
      rows: [
        [
          TARGET,
          opened,
          failed,
          openAtEnd,
          round(idleCpu, 1),
          round(before / 2 ** 20, 0),
          round(after / 2 ** 20, 0),
          round(perSocket / 1024, 1),
          `${round(nginxBefore / 2 ** 20, 0)} → ${round(nginxAfter / 2 ** 20, 0)}`,
          round((nginxAfter - nginxBefore) / Math.max(1, opened) / 1024, 1),
          results.find((r) => r.firstError)?.firstError ?? '',
        ],
      ],
    });
    body.charts.push({
      name: 'sockets-memory.svg',
      title: 'Instance memory before and after opening the sockets',
      svg: barChart(
        'Resident memory of the three instances (MB)',
        'MB',
        ['before', `with ${opened} sockets`],
        [{ name: 'RSS, all instances', values: [round(before / 2 ** 20, 0), round(after / 2 ** 20, 0)] }],
      ),
    });
    body.notes.push(
      `Sockets go through Nginx (round robin to the instances), as browsers' do, from 250 loopback addresses (127.0.0.2–251), each with a sealed session cookie, subscribed to chat.onMessage on the lobby. Nginx and the instances are started for this scenario alone, so no earlier load grew their memory; Nginx's workers are sized for 20,000 sockets within the open-file limit (nginx/src/capacity.ts: ${shop.nginx ? 'worker_rlimit_nofile at the hard limit, more workers than cores where needed' : 'no Nginx in this run'}).`,
      "Each subscription re-checks its session and the room's latest message id in PostgreSQL every 15 s (packages/domain/src/live/registry.ts): the idle CPU column shows what that costs at this count.",
      'Memory is resident set size read from /proc before opening and after the instances settle; garbage not yet collected counts against the sockets.',
    );
  } finally {
    await Promise.all(running.map((w) => w.stop()));
  }
  return body;
}
