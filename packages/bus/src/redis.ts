import { type RedisStatus, ReplyError } from 'ioredis';
import {
  type Bus,
  BusClosedError,
  type BusOptions,
  BusUnavailableError,
  defaultOnError,
  reportSafely,
  stampMessage,
  unstampMessage,
} from './bus.ts';
import { connectRedis, type RedisConnection } from './connection.ts';
import { GapListeners, HandlerRegistry, type Subscription } from './registry.ts';

export interface RedisBusOptions extends BusOptions {
  /** One server, or the primary that Sentinels name (followed through failovers: see createRedisBus). */
  redis: RedisConnection;
  /** Names the connections in CLIENT LIST: `<name>:pub` and `<name>:sub`. Defaults to `bus`. */
  name?: string | undefined;
  /** The longest publish/subscribe/unsubscribe waits for Redis before giving up. Defaults to 2000 ms. */
  timeoutMs?: number | undefined;
  /**
   * How often the subscriber connection is PINGed while idle; one unanswered within `timeoutMs`
   * counts as a lost connection. Defaults to 15000 ms; 0 turns it off.
   */
  heartbeatMs?: number | undefined;
}

const MAX_RETRY_DELAY_MS = 5_000;

/** Reconnect forever: exponential backoff capped at 5 s, with jitter so instances don't reconnect in lockstep. */
function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times - 1, 16), MAX_RETRY_DELAY_MS) + Math.floor(Math.random() * 50);
}

/** Statuses in which a connection attempt is under way, so its outcome is worth a short wait. */
const CONNECTING: ReadonlySet<RedisStatus> = new Set<RedisStatus>(['connecting', 'connect', 'ready']);

/** Callbacks waiting for the next time something happens (a connection closed, a re-subscribe finished). */
class Signal {
  readonly #waiters = new Set<() => void>();

  once(callback: () => void): () => void {
    this.#waiters.add(callback);
    return () => {
      this.#waiters.delete(callback);
    };
  }

  fire(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const waiter of waiters) waiter();
  }
}

type Outcome = { kind: 'done' } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' } | { kind: 'timeout' };

/**
 * Waits for `work` (if any), but only until a signal fires or `ms` pass. Its waiters are removed
 * whichever way it ends, so a long-lived healthy connection accumulates nothing.
 */
function waitBounded(work: Promise<unknown> | undefined, signals: readonly Signal[], ms: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const cancels: (() => void)[] = [];
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const cancel of cancels) cancel();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), ms);
    for (const signal of signals) cancels.push(signal.once(() => finish({ kind: 'interrupted' })));
    work?.then(
      () => finish({ kind: 'done' }),
      (error: unknown) => finish({ kind: 'failed', error }),
    );
  });
}

/**
 * Redis pub/sub for several server instances: one publisher and ONE subscriber connection per bus
 * (create one bus per process), with fan-out to the local handlers in-process. A channel is
 * SUBSCRIBEd on its first local handler and UNSUBSCRIBEd after its last.
 *
 * While Redis is down:
 * - `publish` rejects at once with BusUnavailableError (only an attempt already under way, such as
 *   the first connect, is waited for, at most `timeoutMs`). Nothing is queued, nothing is resent.
 * - `subscribe` registers the handler and resolves without waiting for Redis; the channel is
 *   subscribed when the connection returns, and `onGap` fires then.
 * - the subscriber reconnects forever; after each reconnect it SUBSCRIBEs every channel that has
 *   local handlers, then calls the `onGap` listeners, so their back-fill cannot miss a message.
 *
 * A connection that stays open but stops answering is bounded too: a PUBLISH rejects after
 * `timeoutMs` (Redis may still deliver it later), and a subscriber connection that leaves a
 * SUBSCRIBE or heartbeat PING unanswered that long is re-established like a lost one.
 */
export function createRedisBus(options: RedisBusOptions): Bus {
  const onError = options.onError ?? defaultOnError;
  const name = options.name ?? 'bus';
  const timeoutMs = options.timeoutMs ?? 2_000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const registry = new HandlerRegistry(onError);
  const gapListeners = new GapListeners(onError);
  const reportConnection = (error: unknown) => reportSafely(onError, error, { source: 'connection' });
  let published = 0;
  let closed = false;

  const publisher = connectRedis(options.redis, {
    connectionName: `${name}:pub`,
    retryStrategy,
    // Fail fast rather than queue while disconnected: subscribers back-fill from the database anyway.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A PUBLISH cut off by a disconnect may have reached Redis; resending it could deliver it twice.
    autoResendUnfulfilledCommands: false,
    // Settles a PUBLISH on a connection that died silently (and the ones not resent above).
    commandTimeout: timeoutMs,
  });
  const subscriber = connectRedis(options.redis, {
    connectionName: `${name}:sub`,
    retryStrategy,
    // The registry alone decides which channels to subscribe: after every (re)connect the 'ready'
    // listener sends all of them. ioredis's autoResubscribe would restore what the old connection
    // had confirmed, including channels whose last handler left during the outage, and queued or
    // resent (UN)SUBSCRIBEs from the outage would replay stale intent.
    autoResubscribe: false,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: false,
  });
  publisher.on('error', reportConnection);
  subscriber.on('error', reportConnection);

  const publisherSettled = new Signal();
  publisher.on('ready', () => publisherSettled.fire());
  publisher.on('close', () => publisherSettled.fire());

  /** Counts ready subscriber connections; a reply from an earlier one says nothing about the current. */
  let epoch = 0;
  /** Between our 'ready' listener and the next 'close'. */
  let live = false;
  let gapPending = false;
  const down = new Signal();
  const synced = new Signal();
  /** Per channel with handlers, while live: settles once it is subscribed on the current connection (or that was interrupted). */
  const activation = new Map<string, Promise<void>>();

  const isLive = () => live && !closed && subscriber.status === 'ready';

  /**
   * SUBSCRIBEs on the current connection: true once Redis confirmed, false if the connection went
   * away meanwhile (the re-subscribe after reconnecting covers the channels); rejects if Redis refused.
   */
  async function subscribeOnRedis(channels: string[]): Promise<boolean> {
    const sentIn = epoch;
    const outcome = await waitBounded(subscriber.subscribe(...channels), [down], timeoutMs);
    const current = sentIn === epoch && isLive();
    if (outcome.kind === 'done') return current;
    if (outcome.kind === 'failed' && current && outcome.error instanceof ReplyError) throw outcome.error;
    if (outcome.kind === 'timeout') reconnectUnresponsive('SUBSCRIBE', sentIn);
    return false;
  }

  /**
   * Treats a subscriber connection that stopped answering as lost, rather than waiting for TCP to
   * notice (minutes for a silently dropped connection): reconnecting re-subscribes everything and
   * reports the gap.
   */
  function reconnectUnresponsive(command: string, sentIn: number): void {
    if (sentIn !== epoch || !isLive()) return;
    reportConnection(new Error(`Redis did not answer ${command} within ${timeoutMs} ms; reconnecting`));
    subscriber.disconnect(true);
  }

  let heartbeatRunning = false;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(async () => {
          if (heartbeatRunning || !isLive()) return;
          heartbeatRunning = true;
          const sentIn = epoch;
          const outcome = await waitBounded(subscriber.ping(), [down], timeoutMs);
          heartbeatRunning = false;
          if (outcome.kind === 'timeout') reconnectUnresponsive('PING', sentIn);
        }, heartbeatMs)
      : undefined;
  // The heartbeat alone must not keep the process alive.
  heartbeat?.unref();

  /** Tracks a SUBSCRIBE so later handlers of the same channels can wait for it too. */
  function track(result: Promise<boolean>, channels: string[]): void {
    const settled = result.then(() => {});
    // Only marks it handled: the subscribe() calls awaiting it receive the error.
    settled.catch(() => {});
    for (const channel of channels) activation.set(channel, settled);
  }

  subscriber.on('ready', () => {
    if (closed || subscriber.status !== 'ready') return;
    live = true;
    epoch++;
    const channels = registry.channelNames();
    const result = channels.length > 0 ? subscribeOnRedis(channels) : Promise.resolve(true);
    track(result, channels);
    result.then(
      (active) => {
        synced.fire();
        // Only now: a back-fill started earlier could miss messages published before the SUBSCRIBE.
        if (active && gapPending) {
          gapPending = false;
          gapListeners.emit();
        }
      },
      (error: unknown) => {
        reportConnection(error);
        synced.fire();
      },
    );
  });
  subscriber.on('close', () => {
    live = false;
    // Also after a failed first connect: a subscribe() may have resolved during it.
    if (!closed) gapPending = true;
    down.fire();
  });
  subscriber.on('message', (channel: string, raw: string) => {
    const targets = registry.targets(channel);
    if (targets.length === 0) return;
    const { message, publishedAt } = unstampMessage(raw);
    if (publishedAt !== null && options.onDelivery) {
      try {
        options.onDelivery(Math.max(0, Date.now() - publishedAt));
      } catch (error) {
        reportSafely(onError, error, { source: 'handler', channel });
      }
    }
    registry.deliver(targets, message);
  });

  async function untilActive(channel: string): Promise<void> {
    if (!isLive()) {
      // Down: resolve now; the re-subscribe on reconnect covers the channel and fires onGap.
      if (closed || !CONNECTING.has(subscriber.status)) return;
      // An attempt is under way (as at startup): its outcome comes soon.
      await waitBounded(undefined, [synced, down], timeoutMs);
      if (!isLive()) return;
    }
    await activation.get(channel);
  }

  async function unsubscribe(subscription: Subscription): Promise<void> {
    if (!registry.remove(subscription)) return;
    activation.delete(subscription.channel);
    // Offline there is nothing to undo: the next re-subscribe leaves the channel out.
    if (!isLive()) return;
    const outcome = await waitBounded(subscriber.unsubscribe(subscription.channel), [down], timeoutMs);
    if (outcome.kind === 'failed' && isLive()) reportConnection(outcome.error);
  }

  return {
    async publish(channel, message) {
      if (closed) throw new BusClosedError();
      if (publisher.status !== 'ready' && CONNECTING.has(publisher.status)) {
        await waitBounded(undefined, [publisherSettled], timeoutMs);
      }
      if (publisher.status !== 'ready') {
        throw new BusUnavailableError(`Redis is unavailable (publisher ${publisher.status}); message to ${channel} dropped`);
      }
      await publisher.publish(channel, stampMessage(message));
      published++;
    },

    async subscribe(channel, handler) {
      if (closed) throw new BusClosedError();
      const { subscription, first } = registry.add(channel, handler);
      if (first && isLive()) track(subscribeOnRedis([channel]), [channel]);
      try {
        await untilActive(channel);
      } catch (error) {
        // Redis refused the channel, so nothing would ever arrive: don't pretend it is subscribed.
        await unsubscribe(subscription);
        throw error;
      }
      return () => unsubscribe(subscription);
    },

    onGap(listener) {
      return closed ? () => {} : gapListeners.add(listener);
    },

    stats() {
      const { channels, handlers, delivered } = registry.counts();
      return { channels, handlers, published, delivered };
    },

    async close() {
      if (closed) return;
      closed = true;
      live = false;
      clearInterval(heartbeat);
      registry.clear();
      activation.clear();
      gapListeners.clear();
      // Lets subscribe()/publish() calls still waiting return now.
      down.fire();
      publisherSettled.fire();
      subscriber.disconnect();
      // QUIT lets PUBLISHes already sent complete; when it can't be sent, just drop the connection.
      if (publisher.status === 'ready') await publisher.quit().catch(() => {});
      publisher.disconnect();
    },
  };
}
