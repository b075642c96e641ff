// Chat load from one process: subscribers and senders through Nginx, each sender on another instance
// than its subscriber, so the latency is send → stored → Redis → other instance → socket. Mode
// "durable" runs the same clients against the durable floor (chat-floor.ts: store, then fan out);
// mode "bare" measures a plain ioredis publish → subscribe round trip at the same rate.
import { sleep } from '@shop/proc';
import { Redis } from 'ioredis';
import type WebSocket from 'ws';
import { Histogram } from '../lib/stats.ts';
import { config, onParent, run, send } from './ipc.ts';
import { type Caller, clientAddress, connect, pool, subscribe } from './ws-client.ts';

export interface ChatConfig {
  mode: 'shop' | 'durable' | 'bare';
  /** Where subscribers connect: Nginx, or the floor's fan-out process. */
  subscribeUrl: string;
  /** Where senders connect: Nginx, or the floor's store process. */
  sendUrl: string;
  /** Each sender on another instance than its subscriber (told by the upgrade's x-instance). */
  otherInstance: boolean;
  users: { id: string; cookie: string }[];
  /** The first user number of this process (for source addresses). */
  offset: number;
  durationS: number;
  redisUrl: string;
  label: string;
}

export interface ChatResult {
  subscribed: number;
  failedSubscriptions: number;
  /** Senders left on their subscriber's instance after PLACEMENT_TRIES connections. */
  sameInstance: number;
  sent: number;
  /** Sends not accepted (an error or a status other than 200): every send is made, none skipped. */
  failed: number;
  /** Sends accepted that never arrived (within 15 s of the phase's end). */
  lost: number;
  received: number;
  sendStatuses: Record<string, number>;
  latency: ReturnType<Histogram['toJSON']>;
  sendLatency: ReturnType<Histogram['toJSON']>;
  seconds: number;
}

/** Tries to place a sender on another instance than its subscriber before giving up. */
const PLACEMENT_TRIES = 8;

run(async () => {
  const c = await config<ChatConfig>();
  const latency = new Histogram();
  const pending = new Map<string, number>();
  let received = 0;
  const receipt = (key: string) => {
    const t0 = pending.get(key);
    if (t0 === undefined) return;
    pending.delete(key);
    lastReceipt = performance.now();
    latency.record(lastReceipt - t0);
    received++;
  };
  let lastReceipt = 0;

  const sockets: WebSocket[] = [];
  const senders: (Caller | undefined)[] = [];
  let failed = 0;
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  let sameInstance = 0;
  if (c.mode !== 'bare') {
    const listening: string[] = [];
    await pool(c.users, 50, async (user, k) => {
      try {
        const subscribed = await subscribe(
          c.subscribeUrl,
          user.cookie,
          'chat.onMessage',
          { roomId: `support:${user.id}` },
          (data) => receipt((data as { text: string }).text),
          { localAddress: clientAddress(c.offset + k) },
        );
        sockets.push(subscribed.ws);
        listening[k] = subscribed.instance;
      } catch {
        failed++;
      }
      if (k % 100 === 0) send({ type: 'progress', text: `${c.label}: ${sockets.length} subscribed, ${failed} failed` });
    });
    // Each shopper sends from a socket of their own, as the SPA does; through Nginx, on another
    // instance than the one holding their subscription (a new connection until one lands there).
    await pool(c.users, 50, async (user, k) => {
      try {
        for (let attempt = 1; ; attempt++) {
          const sender = await connect(c.sendUrl, user.cookie, { localAddress: clientAddress(c.offset + k) });
          if (!c.otherInstance || sender.instance !== listening[k]) {
            senders[k] = sender;
            break;
          }
          if (attempt === PLACEMENT_TRIES) {
            sameInstance++;
            senders[k] = sender;
            break;
          }
          sender.ws.terminate();
        }
      } catch {
        failed++;
      }
      if (k % 100 === 0) send({ type: 'progress', text: `${c.label}: ${k} senders connected` });
    });
  } else {
    publisher = new Redis(c.redisUrl);
    subscriber = new Redis(c.redisUrl);
    await subscriber.subscribe('bench:bare');
    subscriber.on('message', (_channel, message) => receipt(message));
  }
  send({ type: 'ready' });

  const commands: { type: string; ratePerS?: unknown }[] = [];
  let wake: (() => void) | undefined;
  onParent((m) => {
    commands.push(m);
    wake?.();
  });
  const nextCommand = async () => {
    while (commands.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return commands.shift();
  };

  /** One measured interval at `ratePerS`, open loop in 10 ms slices: every due message is sent. */
  async function phase(ratePerS: number): Promise<ChatResult> {
    latency.reset();
    pending.clear();
    received = 0;
    lastReceipt = 0;
    const statuses: Record<string, number> = {};
    const sendLatency = new Histogram();
    let sent = 0;
    let refused = 0;
    let inFlight = 0;
    const started = performance.now();
    const sendOne = async () => {
      const k = seq % c.users.length;
      const key = `m${process.pid}-${seq++}`;
      inFlight++;
      const t0 = performance.now();
      pending.set(key, t0);
      sent++;
      try {
        if (publisher) {
          await publisher.publish('bench:bare', key);
          statuses['200'] = (statuses['200'] ?? 0) + 1;
        } else {
          const user = c.users[k];
          const sender = senders[k];
          const status = sender ? await sender.call('mutation', 'chat.send', { roomId: `support:${user?.id}`, text: key }) : 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 200) {
            refused++;
            pending.delete(key);
          }
        }
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
        refused++;
        pending.delete(key);
      } finally {
        sendLatency.record(performance.now() - t0);
        inFlight--;
      }
    };
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed >= c.durationS) {
          clearInterval(timer);
          clearInterval(progress);
          resolve();
          return;
        }
        const due = Math.floor(elapsed * ratePerS) - sent;
        for (let i = 0; i < due; i++) void sendOne();
      }, 10);
      const progress = setInterval(() => {
        const s = (performance.now() - started) / 1000;
        send({
          type: 'progress',
          text: `${c.label} at ${ratePerS}/s: ${sent} sent, ${received} received, ${refused} refused in ${s.toFixed(0)} s`,
        });
      }, 1000);
    });
    // Stragglers: give in-flight messages a moment to arrive.
    const drainUntil = performance.now() + 15_000;
    while ((pending.size > 0 || inFlight > 0) && performance.now() < drainUntil) await sleep(50);
    if (inFlight > 0) statuses.unanswered = inFlight;
    // Delivered per second over the time it took to deliver them: up to the last receipt.
    const seconds = (Math.max(lastReceipt, started + 1) - started) / 1000;
    return {
      subscribed: sockets.length,
      failedSubscriptions: failed,
      sameInstance,
      sent,
      failed: refused + inFlight,
      // Accepted and never received (pending still holds the unanswered ones, counted as failed).
      lost: Math.max(0, pending.size - inFlight),
      received,
      sendStatuses: statuses,
      latency: latency.toJSON(),
      sendLatency: sendLatency.toJSON(),
      seconds,
    };
  }

  let seq = 0;
  for (;;) {
    const command = await nextCommand();
    if (!command || command.type === 'stop') break;
    if (command.type === 'go') send({ type: 'stats', result: await phase(Number(command.ratePerS)) });
  }
  for (const ws of sockets) ws.terminate();
  for (const sender of senders) sender?.ws.terminate();
  publisher?.disconnect();
  subscriber?.disconnect();
  return { subscribed: sockets.length, failedSubscriptions: failed };
});
