// Chat load from one process: subscribers on one instance, senders posting chat.send to another,
// so the latency is send → stored → Redis → other instance → socket. Mode "bare" measures a
// plain ioredis publish → subscribe round trip at the same rate instead.
import { sleep } from '@shop/proc';
import { Redis } from 'ioredis';
import type WebSocket from 'ws';
import { Histogram } from '../lib/stats.ts';
import { config, onParent, run, send } from './ipc.ts';
import { type Caller, connect, pool, subscribe } from './ws-client.ts';

export interface ChatConfig {
  mode: 'shop' | 'bare';
  instances: string[];
  users: { id: string; cookie: string }[];
  /** Which instance user k listens on: (k + offset) % n; it sends to the next one. */
  offset: number;
  durationS: number;
  redisUrl: string;
  label: string;
}

export interface ChatResult {
  subscribed: number;
  failedSubscriptions: number;
  sent: number;
  skipped: number;
  received: number;
  sendStatuses: Record<string, number>;
  latency: ReturnType<Histogram['toJSON']>;
  sendLatency: ReturnType<Histogram['toJSON']>;
  seconds: number;
}

const MAX_IN_FLIGHT = 64;

run(async () => {
  const c = await config<ChatConfig>();
  const latency = new Histogram();
  const pending = new Map<string, number>();
  let received = 0;
  const receipt = (key: string) => {
    const t0 = pending.get(key);
    if (t0 === undefined) return;
    pending.delete(key);
    latency.record(performance.now() - t0);
    received++;
  };

  const sockets: WebSocket[] = [];
  const senders: (Caller | undefined)[] = [];
  let failed = 0;
  let publisher: Redis | undefined;
  let subscriber: Redis | undefined;
  if (c.mode === 'shop') {
    await pool(c.users, 50, async (user, k) => {
      const base = c.instances[(k + c.offset) % c.instances.length] ?? '';
      try {
        sockets.push(
          await subscribe(base, user.cookie, 'chat.onMessage', { roomId: `support:${user.id}` }, (data) =>
            receipt((data as { text: string }).text),
          ),
        );
      } catch {
        failed++;
      }
      if (k % 100 === 0) send({ type: 'progress', text: `${c.label}: ${sockets.length} subscribed, ${failed} failed` });
    });
    // Each shopper sends from a socket of their own on the next instance, as the SPA does.
    await pool(c.users, 50, async (user, k) => {
      const base = c.instances[(k + c.offset + 1) % c.instances.length] ?? '';
      try {
        senders[k] = await connect(base, user.cookie);
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

  /** One measured interval at `ratePerS`, open loop in 10 ms slices; sends beyond MAX_IN_FLIGHT are skipped. */
  async function phase(ratePerS: number): Promise<ChatResult> {
    latency.reset();
    pending.clear();
    received = 0;
    const statuses: Record<string, number> = {};
    const sendLatency = new Histogram();
    let sent = 0;
    let skipped = 0;
    let inFlight = 0;
    const started = performance.now();
    const sendOne = async () => {
      const k = seq % c.users.length;
      const key = `m${process.pid}-${seq++}`;
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        return;
      }
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
          if (status !== 200) pending.delete(key);
        }
      } catch {
        statuses.error = (statuses.error ?? 0) + 1;
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
        const due = Math.floor(elapsed * ratePerS) - sent - skipped;
        for (let i = 0; i < due; i++) void sendOne();
      }, 10);
      const progress = setInterval(() => {
        const s = (performance.now() - started) / 1000;
        send({
          type: 'progress',
          text: `${c.label} at ${ratePerS}/s: ${sent} sent, ${received} received, ${skipped} skipped in ${s.toFixed(0)} s`,
        });
      }, 1000);
    });
    const seconds = (performance.now() - started) / 1000;
    // Stragglers: give in-flight messages a moment to arrive.
    const drainUntil = performance.now() + 15_000;
    while ((pending.size > 0 || inFlight > 0) && performance.now() < drainUntil) await sleep(50);
    if (inFlight > 0) statuses.unanswered = inFlight;
    return {
      subscribed: sockets.length,
      failedSubscriptions: failed,
      sent,
      skipped,
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
