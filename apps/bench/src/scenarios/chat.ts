// 4. Chat across instances: subscribers spread over three instances, messages sent through another
// instance, send-to-receipt latency against a bare ioredis publish → subscribe round trip.
import type { ClusterInstance } from '@shop/nginx';
import { benchUsers } from '../lib/db.ts';
import { log } from '../lib/progress.ts';
import { settle } from '../lib/shop.ts';
import { Histogram, ratio, round } from '../lib/stats.ts';
import { latencyChart } from '../lib/svg.ts';
import { type RunningWorker, startWorker } from '../lib/workers.ts';
import type { ChatConfig, ChatResult } from '../workers/chat.ts';
import { emptyBody, type Scenario } from './context.ts';

const SUBSCRIBERS = 3_000;
const RATE = 1_000;
/** A light load too, so the latency is not only the queue of an overloaded machine. */
const LIGHT_RATE = 50;
const WORKERS = 3;

/** Starts the workers (subscribing), then measures each rate in turn with the same subscribers. */
async function measure(configs: ChatConfig[], instances: ClusterInstance[], rates: number[]): Promise<ChatResult[][]> {
  const workers: RunningWorker<unknown>[] = configs.map((c) => startWorker<unknown>('chat', c));
  try {
    await Promise.all(workers.map((w) => w.next('ready')));
    const out: ChatResult[][] = [];
    for (const rate of rates) {
      await settle(instances);
      const replies = workers.map((w) => w.next('stats'));
      for (const w of workers) w.post({ type: 'go', ratePerS: rate / workers.length });
      out.push((await Promise.all(replies)).map((m) => m.result as ChatResult));
    }
    for (const w of workers) w.post({ type: 'stop' });
    await Promise.all(workers.map((w) => w.result.catch(() => {})));
    return out;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

function merge(results: ChatResult[]) {
  const latency = new Histogram();
  const sendLatency = new Histogram();
  const statuses: Record<string, number> = {};
  for (const r of results) {
    latency.merge(r.latency);
    sendLatency.merge(r.sendLatency);
    for (const [k, v] of Object.entries(r.sendStatuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  const sum = (k: 'sent' | 'received' | 'skipped' | 'subscribed' | 'failedSubscriptions') => results.reduce((n, r) => n + r[k], 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  return {
    latency: latency.summary(),
    sendLatency: sendLatency.summary(),
    statuses,
    sent: sum('sent'),
    received: sum('received'),
    skipped: sum('skipped'),
    subscribed: sum('subscribed'),
    failed: sum('failedSubscriptions'),
    rate: sum('received') / seconds,
  };
}

export const chatScenario: Scenario = {
  id: 'chat',
  title: '4. Chat across instances',
  async run(ctx) {
    const body = emptyBody();
    const { shop, databaseUrl } = await ctx.sharedShop();
    const users = await benchUsers(databaseUrl, SUBSCRIBERS, 'chat');
    const instances = shop.instances.map((i) => i.url);
    const per = Math.ceil(users.length / WORKERS);
    const configs = (mode: 'shop' | 'bare'): ChatConfig[] =>
      Array.from({ length: WORKERS }, (_, w) => ({
        mode,
        instances,
        users: users.slice(w * per, (w + 1) * per),
        offset: w,
        durationS: ctx.durationS,
        redisUrl: ctx.redis.url,
        label: `${mode === 'bare' ? 'bare ioredis' : 'chat'} worker ${w + 1}`,
      }));

    const rates = [LIGHT_RATE, RATE];
    log(`bare ioredis publish → subscribe, ${rates.join(' and ')} messages/s`);
    const [bareLight, bare] = (await measure(configs('bare'), shop.instances, rates)).map(merge);
    log(
      `chat: ${SUBSCRIBERS} subscribers over ${instances.length} instances, ${rates.join(' and ')} messages/s sent through another instance`,
    );
    const [chatLight, chat] = (await measure(configs('shop'), shop.instances, rates)).map(merge);
    if (!bare || !bareLight || !chat || !chatLight) throw new Error('a chat phase returned nothing');

    const vsBare = (label: string, p: 'p50' | 'p99', shop: typeof chat, base: typeof bare, target: boolean) => ({
      label,
      value: shop.latency[p],
      unit: 'ms',
      baseline: { label: `bare ioredis ${p}`, value: base.latency[p], unit: 'ms' },
      ratio: ratio(shop.latency[p], base.latency[p]),
      ...(target ? { target: '≤ 3× bare', met: shop.latency[p] <= 3 * base.latency[p] } : {}),
    });
    body.figures.push(
      vsBare('send → receipt p99 on another instance', 'p99', chat, bare, true),
      vsBare('send → receipt p50 on another instance', 'p50', chat, bare, false),
      vsBare(`send → receipt p99 at ${LIGHT_RATE} messages/s`, 'p99', chatLight, bareLight, true),
      {
        label: 'messages delivered/s',
        value: round(chat.rate, 0),
        unit: 'msg/s',
        baseline: { label: 'bare ioredis', value: round(bare.rate, 0), unit: 'msg/s' },
        ratio: ratio(chat.rate, bare.rate),
        target: `${RATE}/s offered`,
        met: chat.rate >= 0.95 * RATE,
      },
    );
    body.tables.push({
      title: `${SUBSCRIBERS} subscribers (each in its own support room), ${LIGHT_RATE} and ${RATE} messages/s offered for ${ctx.durationS} s each`,
      columns: [
        'path and rate',
        'subscribed',
        'sent',
        'skipped (64 in flight per worker)',
        'received',
        'send statuses',
        'p50 ms',
        'p99 ms',
        'chat.send response p50 ms',
      ],
      rows: (
        [
          [`bare ioredis publish → subscribe, ${LIGHT_RATE}/s`, bareLight],
          [`chat.send → other instance → socket, ${LIGHT_RATE}/s`, chatLight],
          [`bare ioredis publish → subscribe, ${RATE}/s`, bare],
          [`chat.send → other instance → socket, ${RATE}/s`, chat],
        ] as const
      ).map(([name, m]) => [
        name,
        m === chat || m === chatLight ? `${m.subscribed} (${m.failed} failed)` : '',
        m.sent,
        m.skipped,
        m.received,
        JSON.stringify(m.statuses),
        m.latency.p50,
        m.latency.p99,
        m === chat || m === chatLight ? m.sendLatency.p50 : '',
      ]),
    });
    body.charts.push({
      name: 'chat-latency.svg',
      title: 'Chat send → receipt latency',
      svg: latencyChart('Send → receipt on another instance vs bare Redis pub/sub', [
        { name: `bare, ${RATE}/s`, points: bare.latency },
        { name: `chat, ${RATE}/s`, points: chat.latency },
        { name: `bare, ${LIGHT_RATE}/s`, points: bareLight.latency },
        { name: `chat, ${LIGHT_RATE}/s`, points: chatLight.latency },
      ]),
    });
    body.notes.push(
      "Latency runs from just before chat.send is sent over the sender's own WebSocket to the instance after the subscriber's, as the SPA sends chat, to the message arriving on the subscriber's socket; it includes storing the message in PostgreSQL.",
      "Compare p50 with the chat.send response's p50: what lies between them is the delivery after the message is stored (Redis, the other instance, the socket).",
      'Each sender, subscriber and clock live in the same load process, so no cross-process clock is involved.',
    );
    return body;
  },
};
