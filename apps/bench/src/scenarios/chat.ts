// 4. Chat across instances: subscribers spread over three instances through Nginx, each message
// sent by its shopper through another instance; send-to-receipt latency against the durable floor
// (a bare process storing each message in PostgreSQL and publishing it on Redis, a bare process
// writing it to the WebSockets) and against a bare ioredis publish → subscribe round trip.
import type { ClusterInstance } from '@shop/nginx';
import { spawnTracked, stop, waitForHttp } from '@shop/proc';
import { benchUsers } from '../lib/db.ts';
import { port } from '../lib/ports.ts';
import { log } from '../lib/progress.ts';
import { settle } from '../lib/shop.ts';
import { Histogram, ratio, round } from '../lib/stats.ts';
import { latencyChart } from '../lib/svg.ts';
import { type RunningWorker, startWorker } from '../lib/workers.ts';
import type { ChatConfig, ChatResult } from '../workers/chat.ts';
import { emptyBody, entryUrls, type Scenario } from './context.ts';

const SUBSCRIBERS = 3_000;
const RATE = 1_000;
/** A light load too, so the latency is not only the queue of an overloaded machine. */
const LIGHT_RATE = 50;
const WORKERS = 3;

/** The durable floor's two processes (chat-floor.ts), stopped together. */
async function startChatFloor(databaseUrl: string, redisUrl: string) {
  const script = new URL('../chat-floor.ts', import.meta.url).pathname;
  const [storePort, fanoutPort] = [await port(), await port()];
  const children = [
    spawnTracked(process.execPath, [script, 'store', String(storePort), databaseUrl, redisUrl], { stdio: ['ignore', 'ignore', 'inherit'] }),
    spawnTracked(process.execPath, [script, 'fanout', String(fanoutPort), redisUrl], { stdio: ['ignore', 'ignore', 'inherit'] }),
  ];
  const stopAll = () => Promise.all(children.map((child) => stop(child))).then(() => {});
  const sendUrl = `http://127.0.0.1:${storePort}`;
  const subscribeUrl = `http://127.0.0.1:${fanoutPort}`;
  try {
    await waitForHttp(`${sendUrl}/`, 'chat floor (store)', { child: children[0] });
    await waitForHttp(`${subscribeUrl}/`, 'chat floor (fan-out)', { child: children[1] });
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { sendUrl, subscribeUrl, stop: stopAll };
}
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
  const sum = (k: 'sent' | 'received' | 'failed' | 'lost' | 'subscribed' | 'failedSubscriptions' | 'failedSenders' | 'sameInstance') =>
    results.reduce((n, r) => n + r[k], 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  return {
    latency: latency.summary(),
    sendLatency: sendLatency.summary(),
    statuses,
    sent: sum('sent'),
    received: sum('received'),
    failed: sum('failed'),
    lost: sum('lost'),
    subscribed: sum('subscribed'),
    failedSubscriptions: sum('failedSubscriptions'),
    failedSenders: sum('failedSenders'),
    sameInstance: sum('sameInstance'),
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
    const per = Math.ceil(users.length / WORKERS);
    const configs = (mode: ChatConfig['mode'], urls: { sendUrls: string[]; subscribeUrls: string[] }): ChatConfig[] =>
      Array.from({ length: WORKERS }, (_, w) => ({
        mode,
        ...urls,
        otherInstance: mode === 'shop' && shop.nginx,
        users: users.slice(w * per, (w + 1) * per),
        offset: w * per,
        durationS: ctx.durationS,
        redisUrl: ctx.redis.url,
        label: `${mode === 'shop' ? 'chat' : mode === 'durable' ? 'durable floor' : 'bare ioredis'} worker ${w + 1}`,
      }));

    const rates = [LIGHT_RATE, RATE];
    log(`bare ioredis publish → subscribe, ${rates.join(' and ')} messages/s`);
    const [bareLight, bare] = (await measure(configs('bare', { sendUrls: [], subscribeUrls: [] }), shop.instances, rates)).map(merge);
    log(`durable floor (store in PostgreSQL, publish, fan out), ${rates.join(' and ')} messages/s`);
    const floor = await startChatFloor(databaseUrl, ctx.redis.url);
    let floorResults: ChatResult[][];
    try {
      floorResults = await measure(
        configs('durable', { sendUrls: [floor.sendUrl], subscribeUrls: [floor.subscribeUrl] }),
        shop.instances,
        rates,
      );
    } finally {
      await floor.stop();
    }
    const [durableLight, durable] = floorResults.map(merge);
    log(`chat: ${SUBSCRIBERS} subscribers through ${shop.nginx ? 'Nginx' : 'one instance'}, ${rates.join(' and ')} messages/s`);
    const [chatLight, chat] = (
      await measure(configs('shop', { sendUrls: entryUrls(shop), subscribeUrls: entryUrls(shop) }), shop.instances, rates)
    ).map(merge);
    if (!bare || !bareLight || !durable || !durableLight || !chat || !chatLight) throw new Error('a chat phase returned nothing');

    type Merged = typeof chat;
    const vs = (label: string, p: 'p50' | 'p99', m: Merged, base: Merged, baseName: string, times?: number) => ({
      label,
      value: m.latency[p],
      unit: 'ms',
      baseline: { label: `${baseName} ${p}`, value: base.latency[p], unit: 'ms' },
      ratio: ratio(m.latency[p], base.latency[p]),
      ...(times ? { target: `≤ ${times}× ${baseName}`, met: m.latency[p] <= times * base.latency[p] } : {}),
    });
    const nothingLost = (m: Merged) =>
      m.failed === 0 && m.lost === 0 && m.received === m.sent && m.failedSubscriptions === 0 && m.failedSenders === 0;
    body.figures.push(
      vs(`send → receipt p99 at ${RATE} messages/s`, 'p99', chat, durable, 'durable floor', 2),
      vs(`send → receipt p50 at ${RATE} messages/s`, 'p50', chat, durable, 'durable floor'),
      vs(`send → receipt p99 at ${LIGHT_RATE} messages/s`, 'p99', chatLight, bareLight, 'bare publish', 3),
      {
        label: `messages not delivered at ${RATE}/s (failed sends + lost)`,
        value: chat.failed + chat.lost,
        unit: 'messages',
        baseline: { label: 'sent', value: chat.sent, unit: 'messages' },
        ratio: round((chat.failed + chat.lost) / Math.max(1, chat.sent), 5),
        target: '0, none skipped',
        met: nothingLost(chat) && nothingLost(chatLight),
      },
      {
        label: 'messages delivered/s',
        value: round(chat.rate, 0),
        unit: 'msg/s',
        baseline: { label: 'durable floor', value: round(durable.rate, 0), unit: 'msg/s' },
        ratio: ratio(chat.rate, durable.rate),
        target: `${RATE}/s offered`,
        met: chat.rate >= 0.95 * RATE,
      },
    );
    const rows: [string, Merged][] = [
      [`bare ioredis publish → subscribe, ${LIGHT_RATE}/s`, bareLight],
      [`durable floor: insert + commit, publish, fan out, ${LIGHT_RATE}/s`, durableLight],
      [`chat.send → Nginx → other instance → socket, ${LIGHT_RATE}/s`, chatLight],
      [`bare ioredis publish → subscribe, ${RATE}/s`, bare],
      [`durable floor: insert + commit, publish, fan out, ${RATE}/s`, durable],
      [`chat.send → Nginx → other instance → socket, ${RATE}/s`, chat],
    ];
    body.tables.push({
      title: `${SUBSCRIBERS} subscribers (each in its own support room), ${LIGHT_RATE} and ${RATE} messages/s offered for ${ctx.durationS} s each; every due message is sent`,
      columns: [
        'path and rate',
        'subscribed (failed; senders failed; senders on the same instance)',
        'sent',
        'failed sends',
        'lost',
        'received',
        'send statuses',
        'p50 ms',
        'p99 ms',
        'send answer p50 ms',
        'delivered/s',
      ],
      rows: rows.map(([name, m]) => [
        name,
        m === bare || m === bareLight ? '' : `${m.subscribed} (${m.failedSubscriptions}; ${m.failedSenders}; ${m.sameInstance})`,
        m.sent,
        m.failed,
        m.lost,
        m.received,
        JSON.stringify(m.statuses),
        m.latency.p50,
        m.latency.p99,
        m === bare || m === bareLight ? '' : m.sendLatency.p50,
        round(m.rate, 0),
      ]),
    });
    body.charts.push({
      name: 'chat-latency.svg',
      title: 'Chat send → receipt latency',
      svg: latencyChart('Send → receipt: chat on another instance, the durable floor, bare Redis pub/sub', [
        { name: `bare, ${RATE}/s`, points: bare.latency },
        { name: `durable floor, ${RATE}/s`, points: durable.latency },
        { name: `chat, ${RATE}/s`, points: chat.latency },
        { name: `bare, ${LIGHT_RATE}/s`, points: bareLight.latency },
        { name: `chat, ${LIGHT_RATE}/s`, points: chatLight.latency },
      ]),
    });
    body.notes.push(
      "Latency runs from just before chat.send is sent over the sender's own WebSocket (through Nginx, to another instance than the one holding the subscriber's socket, told by the upgrade answer's x-instance), as the SPA sends chat, to the message arriving on the subscriber's socket; it includes storing the message in PostgreSQL.",
      'The durable floor (apps/bench/src/chat-floor.ts) is the least any chat that keeps its messages does: one process inserts each message (an autocommitted INSERT, prepared once per connection like chat.send in the shop: insert + commit, a pool of 30 connections as the shop has 3 × 10), publishes it on Redis and answers the sender; another subscribes on Redis and writes it to the subscribed WebSockets. Same clients, same rates, connected to the two processes directly (no Nginx).',
      'Every due message is sent (open loop, 10 ms slices, no cap on messages in flight): a send answered with an error or not at all counts as failed, an accepted message never received within 15 s as lost. Delivered/s divides the messages received by the time up to the last receipt.',
      'Each sender, subscriber and clock live in the same load process, so no cross-process clock is involved.',
    );
    return body;
  },
};
