// 5. Idle WebSocket capacity: subscribed sockets held across three instances, and the instances'
// resident memory per socket.
import { sleep } from '@shop/proc';
import { benchUsers } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import { cpuSeconds, rss, settle } from '../lib/shop.ts';
import { round } from '../lib/stats.ts';
import { barChart } from '../lib/svg.ts';
import { startWorker } from '../lib/workers.ts';
import type { SocketsConfig, SocketsResult } from '../workers/sockets.ts';
import { emptyBody, type Scenario } from './context.ts';

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
    const body = emptyBody();
    const { shop, databaseUrl } = await ctx.sharedShop();
    const pids = shop.instances.map((i) => i.pid).filter((p): p is number => p !== null);
    const users = await benchUsers(databaseUrl, USERS, 'socket');
    await settle(shop.instances);
    const before = await instancesRss(pids);
    const workers = Math.ceil(TARGET / PER_WORKER);
    log(`opening ${TARGET.toLocaleString('en')} subscribed sockets from ${workers} processes`);
    const running = Array.from({ length: workers }, (_, w) =>
      startWorker<SocketsResult>('sockets', {
        instances: shop.instances.map((i) => i.url),
        cookies: users.map((u) => u.cookie),
        count: Math.min(PER_WORKER, TARGET - w * PER_WORKER),
        offset: w,
        openSeconds: ctx.quick ? 120 : 150,
        label: `socket worker ${w + 1}`,
      } satisfies SocketsConfig),
    );
    try {
      const ready = await Promise.all(running.map((w) => w.next('ready')));
      const opened = ready.reduce((n, m) => n + Number(m.opened), 0);
      await settle(shop.instances);
      const after = await instancesRss(pids);
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
        'Sockets connect straight to the instances (round robin), each with a sealed session cookie, and subscribe to chat.onMessage on the lobby.',
        "Each subscription re-checks its session and the room's latest message id in PostgreSQL every 15 s (packages/domain/src/live/registry.ts): the idle CPU column shows what that costs at this count.",
        'Memory is resident set size read from /proc before opening and after the instances settle; garbage not yet collected counts against the sockets.',
      );
    } finally {
      await Promise.all(running.map((w) => w.stop()));
    }
    return body;
  },
};
