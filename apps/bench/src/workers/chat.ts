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
  /** Where subscribers connect: Nginx (or, without it, the instances in turn), or the floor's fan-out process. */
  subscribeUrls: string[];
  /** Where senders connect: Nginx (or the instances in turn), or the floor's store process. */
  sendUrls: string[];
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
  /** Users whose sending socket did not open (they send nothing; nor do those without a subscription). */
  failedSenders: number;
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
  /** Sent and not yet received: when each was sent. */
  const pending = new Map<string, number>();
  /** Answered 200 and not yet received. */
  const accepted = new Set<string>();
  let received = 0;
  const receipt = (key: string) => {
    const t0 = pending.get(key);
    if (t0 === undefined) return;
    pending.delete(key);
    accepted.delete(key);
    lastReceipt = performance.now();
    latency.record(lastReceipt - t0);
    received++;
  };
  let lastReceipt = 0;

  const sockets: WebSocket[] = [];
  const senders: (Caller | undefined)[] = [];
  let failedSubscriptions = 0;
  let failedSenders = 0;
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  let sameInstance = 0;
  if (c.mode !== 'bare') {
    const listening: string[] = [];
    await pool(c.users, 50, async (user, k) => {
      try {
        const subscribed = await subscribe(
          c.subscribeUrls[k % c.subscribeUrls.length] ?? '',
          user.cookie,
          'chat.onMessage',
          { roomId: `support:${user.id}` },
          (data) => receipt((data as { text: string }).text),
          { localAddress: clientAddress(c.offset + k) },
        );
        sockets.push(subscribed.ws);
        listening[k] = subscribed.instance;
      } catch {
        failedSubscriptions++;
      }
      if (k % 100 === 0) send({ type: 'progress', text: `${c.label}: ${sockets.length} subscribed, ${failedSubscriptions} failed` });
    });
    // Each shopper sends from a socket of their own, as the SPA does; through Nginx, on another
    // instance than the one holding their subscription (a new connection until one lands there).
    await pool(c.users, 50, async (user, k) => {
      // Only users who listen send: a message nobody subscribed to would count as lost.
      if (listening[k] === undefined) return;
      try {
        for (let attempt = 1; ; attempt++) {
          const sender = await connect(c.sendUrls[(k + 1) % c.sendUrls.length] ?? '', user.cookie, {
            localAddress: clientAddress(c.offset + k),
          });
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
        failedSenders++;
      }
      if (k % 100 === 0) send({ type: 'progress', text: `${c.label}: ${k} senders connected` });
    });
  } else {
    publisher = new Redis(c.redisUrl);
    subscriber = new Redis(c.redisUrl);
    await subscriber.subscribe('bench:bare');
    subscriber.on('message', (_channel, message) => receipt(message));
  }
  // Who sends: everyone in bare mode; otherwise the users with a subscription and a sending socket.
  const sending = c.users.map((_, k) => k).filter((k) => c.mode === 'bare' || senders[k] !== undefined);
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
    accepted.clear();
    received = 0;
    lastReceipt = 0;
    const statuses: Record<string, number> = {};
    const sendLatency = new Histogram();
    let sent = 0;
    let refused = 0;
    let inFlight = 0;
    const started = performance.now();
    const sendOne = async () => {
      const k = sending[seq % sending.length] ?? 0;
      const key = `m${process.pid}-${seq++}`;
      inFlight++;
      const t0 = performance.now();
      pending.set(key, t0);
      sent++;
      try {
        let status = 200;
        if (publisher) await publisher.publish('bench:bare', key);
        else status = (await senders[k]?.call('mutation', 'chat.send', { roomId: `support:${c.users[k]?.id}`, text: key })) ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== 200) {
          refused++;
          pending.delete(key);
        } else if (pending.has(key)) accepted.add(key);
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
      failedSubscriptions,
      failedSenders,
      sameInstance,
      sent,
      failed: refused + inFlight,
      lost: accepted.size,
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
  return { subscribed: sockets.length, failedSubscriptions, failedSenders };
});
