import type { Bus } from '@shop/bus';

export interface Sequenced<T> {
  seq: number;
  item: T;
}

export interface LiveStreamOptions<T> {
  bus: Bus;
  channel: string;
  /** Reads a bus message; null for one that is not an event of this stream. */
  parse(message: string): Sequenced<T> | null;
  /** Stored events after `afterSeq`, ascending, at most `limit`. The database is the truth. */
  backfill(afterSeq: number, limit: number): Promise<Sequenced<T>[]>;
  /** The newest stored seq: where a stream without `startAfter` begins. */
  latestSeq(): Promise<number>;
  /** Resume after this seq (a client's lastEventId); null streams only what comes next. */
  startAfter: number | null;
  signal: AbortSignal | undefined;
  /** Re-checked every `recheckMs` (with a catch-up check); the stream ends once it says no. */
  stillAllowed(): Promise<boolean>;
  /** A message on this channel ends the stream at once (a revoked session). */
  endChannel?: string;
  /** Events held for a slow consumer before falling back to the database. */
  maxBuffered?: number;
  recheckMs?: number;
}

const BACKFILL_BATCH = 200;

/**
 * Every event after the start, exactly once and in order, then live ones. It subscribes before it
 * reads the backlog; event numbers are dense and become visible in commit order, so a number that
 * skips ahead means a lost publish (or a Redis outage), which the database then fills in. A slow
 * consumer costs at most `maxBuffered` events of memory: beyond that the buffer is dropped and
 * the stream catches up from the database.
 */
export async function* liveStream<T>(options: LiveStreamOptions<T>): AsyncGenerator<Sequenced<T>> {
  const { bus, channel, parse, backfill, signal, maxBuffered = 1_000, recheckMs = 15_000 } = options;
  const queue: Sequenced<T>[] = [];
  let behind = false;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const unsubscribe = await bus.subscribe(channel, (message) => {
    const event = parse(message);
    if (!event) return;
    if (queue.length >= maxBuffered) {
      queue.length = 0;
      behind = true;
    } else {
      queue.push(event);
    }
    notify();
  });
  const removeGap = bus.onGap(() => {
    behind = true;
    notify();
  });
  const unsubscribeEnd = options.endChannel
    ? await bus.subscribe(options.endChannel, () => {
        ended = true;
        notify();
      })
    : null;
  const onAbort = () => notify();
  signal?.addEventListener('abort', onAbort);
  const timer = setInterval(notify, recheckMs);
  timer.unref();

  try {
    let last = options.startAfter ?? (await options.latestSeq());
    behind = options.startAfter !== null;
    let lastCheck = Date.now();
    while (!signal?.aborted && !ended) {
      if (Date.now() - lastCheck >= recheckMs) {
        lastCheck = Date.now();
        if (!(await options.stillAllowed())) return;
        // Anti-entropy: whatever signal was lost (a publish, a gap notice), an idle stream that is
        // behind the database catches up within one recheck interval.
        if (queue.length === 0 && (await options.latestSeq()) > last) behind = true;
      }
      if (behind) {
        behind = false;
        for (;;) {
          const rows = await backfill(last, BACKFILL_BATCH);
          for (const row of rows) {
            if (row.seq <= last) continue;
            last = row.seq;
            yield row;
          }
          if (rows.length < BACKFILL_BATCH) break;
        }
        continue;
      }
      const next = queue.shift();
      if (next) {
        if (next.seq <= last) continue;
        if (next.seq > last + 1) {
          // Something between was not delivered: the database has it.
          queue.unshift(next);
          behind = true;
          continue;
        }
        last = next.seq;
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
    removeGap();
    await unsubscribe();
    await unsubscribeEnd?.();
  }
}

export const channels = {
  chat: (roomId: string) => `chat:${roomId}`,
  orders: (userId: string) => `orders:${userId}`,
  /** A message here ends every live stream of the user (sign-out). */
  userRevoked: (userId: string) => `revoked:${userId}`,
};

/** Publishes after commit. A failed publish loses nothing: subscribers back-fill from the database. */
export async function publishQuietly(bus: Bus, channel: string, payload: unknown, onError?: (error: unknown) => void): Promise<void> {
  try {
    await bus.publish(channel, JSON.stringify(payload));
  } catch (error) {
    onError?.(error);
  }
}
