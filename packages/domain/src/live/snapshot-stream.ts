import { endAll, type Member, notify } from './groups.ts';
import type { EndOn, Sequenced } from './publish.ts';
import type { Group, LiveRegistry } from './registry.ts';

export interface SnapshotStreamOptions<T> {
  /** The process's live registry (`ctx.live`): the stream joins its groups and its bus. */
  live: LiveRegistry;
  /** Any message on it says the snapshot may have changed; its content is not read. */
  channel: string;
  /** Reads the current snapshot. The database is the truth, not the message. */
  load(): Promise<T>;
  /** Whether two snapshots say the same: the second is then not sent. */
  same(a: T, b: T): boolean;
  /** At most one load per this many milliseconds: changes meanwhile are all in the next one. */
  minIntervalMs: number;
  signal: AbortSignal | undefined;
  /** As `LiveStreamOptions`: checked every `recheckMs`, the stream ends once it says no. */
  stillAllowed(): Promise<boolean>;
  allowKey?: string;
  endOn?: EndOn;
  /** How often `stillAllowed` runs, and a load with it (a lost message, the clock moving on). */
  recheckMs?: number;
}

/** Every message is one signal ("changed"); what it says is not read. */
const CHANGED: Sequenced<null> = Object.freeze({ seq: 0, item: null });
const changed = () => CHANGED;
/**
 * The channel group's periodic catch-up marks a member behind when the newest number is past its
 * own; a snapshot has no numbers, so it always is: every recheck is also a load.
 */
const alwaysNewer = async () => Number.MAX_SAFE_INTEGER;

/**
 * A value kept current: the first at once, then a new one after a change is announced on
 * `channel`, at most one per `minIntervalMs` however many changes arrive, and only when it differs.
 * Streams of live snapshots, unlike `liveStream`'s events, lose nothing by skipping: a reconnecting
 * client gets the current value at once. It joins the registry's groups like `liveStream` (one bus
 * subscription per channel per process, the session's end and rechecks) and ends the same ways:
 * sign-out, registry stop, or `return()` (tRPC's, once the client stops or the socket closes).
 */
export function snapshotStream<T>(options: SnapshotStreamOptions<T>): AsyncGenerator<T, undefined> {
  return new SnapshotStream(options);
}

class SnapshotStream<T> implements AsyncGenerator<T, undefined> {
  readonly #member: Member<unknown>;
  readonly #run: AsyncGenerator<T, undefined>;

  constructor(options: SnapshotStreamOptions<T>) {
    this.#member = {
      queue: [],
      last: 0,
      behind: false,
      ended: false,
      maxBuffered: 1,
      wake: null,
      latestSeq: alwaysNewer,
      stillAllowed: options.stillAllowed,
    };
    this.#run = run(options, this.#member);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    return this.#run.next();
  }

  /** Wakes a waiting stream, which then ends: a generator's own `return()` would wait for it. */
  return(): Promise<IteratorResult<T, undefined>> {
    endAll([this.#member]);
    return this.#run.return(undefined);
  }

  async throw(error: unknown): Promise<IteratorResult<T, undefined>> {
    await this.return();
    throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

const dirty = (m: Member<unknown>) => m.queue.length > 0 || m.behind;

/** Until the member is woken (a message, a recheck, its end) or `ms` passed. */
function wait(member: Member<unknown>, ms?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = ms === undefined ? undefined : setTimeout(() => notify(member), ms);
    member.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

async function* run<T>(options: SnapshotStreamOptions<T>, member: Member<unknown>): AsyncGenerator<T, undefined> {
  const { live, load, same, minIntervalMs, signal, recheckMs = 15_000 } = options;
  const over = () => member.ended || signal?.aborted === true;
  const groups: Group[] = [];
  try {
    // Subscribed before the first read, so a change committed after that read is announced to it.
    groups.push(await live.joinChannel(options.channel, changed, recheckMs, member));
    groups.push(await live.joinSession(options, recheckMs, member));
    let current: T = await load();
    // From the end of the last read: reads, and so updates, are at least the interval apart
    // however long each read takes.
    let readAt = performance.now();
    yield current;
    for (;;) {
      while (!over() && !dirty(member)) await wait(member);
      // At most one read per interval: what changes during the wait is in the read after it.
      for (let left = readAt + minIntervalMs - performance.now(); !over() && left > 0; ) {
        await wait(member, left);
        left = readAt + minIntervalMs - performance.now();
      }
      if (over()) return;
      // Cleared before the read: a change announced while it runs asks for one more.
      member.queue.length = 0;
      member.behind = false;
      let next: T;
      try {
        next = await load();
      } catch {
        // Not read (the database is unreachable): the next change or recheck reads again.
        continue;
      } finally {
        readAt = performance.now();
      }
      if (same(current, next)) continue;
      current = next;
      yield current;
    }
  } finally {
    member.wake = null;
    for (const group of groups) await live.leave(group, member);
  }
}
