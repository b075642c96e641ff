import { type Member, notify } from './groups.ts';
import type { EndOn, Sequenced } from './publish.ts';
import type { Group, LiveRegistry } from './registry.ts';

export interface LiveStreamOptions<T> {
  /** The process's live registry (`ctx.live`): the stream joins its groups and its bus. */
  live: LiveRegistry;
  channel: string;
  /** Reads a bus message; null for one that is not an event of this stream. */
  parse(message: string): Sequenced<T> | null;
  /** Stored events after `afterSeq`, ascending, at most `limit`. The database is the truth. */
  backfill(afterSeq: number, limit: number): Promise<Sequenced<T>[]>;
  /** The newest stored seq: where a stream without `startAfter` begins. */
  latestSeq(): Promise<number>;
  /**
   * Checked on the first pull, before the stream joins anything (say, that the caller may enter
   * the room); a rejection fails that pull. Dropped once it has answered, so what it holds (the
   * call's context with its EntityManager fork) does not live as long as the stream.
   */
  admit?: () => Promise<void>;
  /** Resume after this seq (a client's lastEventId); null streams only what comes next. */
  startAfter: number | null;
  /**
   * Checked at every step. It does not wake a waiting stream (a listener per stream would cost
   * more than the rest of it): the consumer ends that with `return()`, as tRPC does on abort.
   */
  signal: AbortSignal | undefined;
  /** Re-checked every `recheckMs` (with a catch-up check); the stream ends once it says no. */
  stillAllowed(): Promise<boolean>;
  /**
   * Streams with the same `endChannel` and `allowKey` (e.g. a user id and session version) give
   * the same `stillAllowed` answer, so it is asked once per interval for all of them.
   */
  allowKey?: string;
  /**
   * This message on this channel ends the stream at once (a revoked session: the user's id on the
   * revocation channel). The registry subscribes the channel once for all streams listening to it.
   */
  endOn?: EndOn;
  /** Events held for a slow consumer before falling back to the database. */
  maxBuffered?: number;
  /** How often `stillAllowed` and the catch-up check run (default 15 s). */
  recheckMs?: number;
}

const BACKFILL_BATCH = 200;

/**
 * Every event after the start, exactly once and in order, then live ones. It subscribes before it
 * reads the backlog; event numbers are dense and become visible in commit order, so a number that
 * skips ahead means a lost publish (or a Redis outage), which the database then fills in. A slow
 * consumer costs at most `maxBuffered` events of memory: beyond that the buffer is dropped and
 * the stream catches up from the database. Streams of one channel (and of one session) in one
 * registry (one per process) share the bus subscription and the periodic checks.
 *
 * Like an async generator it starts on the first `next()` and ends on `return()`, at the end of
 * the session or at its next step after `signal` aborted; unlike one, an idle stream holds no
 * suspended frame or promise chain, only its state and the consumer's pending `next()` (an idle
 * stream lives as long as its socket, and there are tens of thousands of those).
 */
export function liveStream<T>(options: LiveStreamOptions<T>): AsyncGenerator<Sequenced<T>, undefined> {
  return new LiveStream(options);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });
const ignore = () => {};

class LiveStream<T> implements AsyncGenerator<Sequenced<T>, undefined> {
  /** Until opened: what joining needs (nothing of it is kept afterwards). */
  #options: LiveStreamOptions<T> | null;
  readonly #live: LiveRegistry;
  readonly #backfill: LiveStreamOptions<T>['backfill'];
  readonly #signal: AbortSignal | undefined;
  readonly #member: Member<T>;
  /** Rows of the current backfill batch not yet handed out, and whether another batch may follow. */
  #backlog: Sequenced<T>[] = [];
  #moreStored = false;
  #opened = false;
  /** Set by return(): the stream ends at its next step. */
  #stopping = false;
  #closed = false;
  #channelGroup: Group | undefined;
  #sessionGroup: Group | undefined;
  /** The consumer's unanswered `next()`, and how to answer it. */
  #pending: Promise<IteratorResult<Sequenced<T>, undefined>> | null = null;
  #resolve: ((result: IteratorResult<Sequenced<T>, undefined>) => void) | null = null;
  #reject: ((error: unknown) => void) | null = null;

  constructor(options: LiveStreamOptions<T>) {
    this.#options = options;
    this.#live = options.live;
    this.#backfill = options.backfill;
    this.#signal = options.signal;
    this.#member = {
      queue: [],
      last: 0,
      behind: false,
      ended: false,
      maxBuffered: options.maxBuffered ?? 1_000,
      wake: null,
      latestSeq: options.latestSeq,
      stillAllowed: options.stillAllowed,
    };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Sequenced<T>, undefined>> {
    // A call made while one is unanswered waits for it, as a generator's does.
    if (this.#pending)
      return this.#pending.then(
        () => this.next(),
        () => this.next(),
      );
    if (this.#closed || this.#stopping) return Promise.resolve(DONE);
    const pending = new Promise<IteratorResult<Sequenced<T>, undefined>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#pending = pending;
    void this.#advance();
    return pending;
  }

  /** Ends the stream: an unanswered `next()` resolves done; resolves once the stream has left its groups. */
  async return(): Promise<IteratorReturnResult<undefined>> {
    this.#stopping = true;
    notify(this.#member as Member<unknown>);
    await this.#pending?.catch(ignore);
    await this.#close();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<Sequenced<T>, undefined>> {
    await this.return();
    throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** Answers the pending `next()`. */
  #answer(result: IteratorResult<Sequenced<T>, undefined>, error?: { error: unknown }): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    this.#pending = this.#resolve = this.#reject = null;
    if (error) reject?.(error.error);
    else resolve?.(result);
  }

  /**
   * Works towards an answer to the pending `next()`: an event, the end, or (nothing to do) a wake-up
   * call left with the shared groups, which run this again when something arrives.
   */
  async #advance(): Promise<void> {
    const member = this.#member;
    try {
      if (!this.#opened) await this.#open();
      for (;;) {
        if (this.#stopping || this.#signal?.aborted || member.ended) break;
        const stored = this.#backlog.shift();
        if (stored) {
          if (stored.seq <= member.last) continue;
          member.last = stored.seq;
          this.#answer({ done: false, value: stored });
          return;
        }
        if (this.#moreStored) {
          this.#backlog = await this.#backfill(member.last, BACKFILL_BATCH);
          this.#moreStored = this.#backlog.length === BACKFILL_BATCH;
          continue;
        }
        if (member.behind) {
          member.behind = false;
          this.#moreStored = true;
          continue;
        }
        const next = member.queue.shift();
        if (next) {
          if (next.seq <= member.last) continue;
          if (next.seq > member.last + 1) {
            // Something between was not delivered: the database has it.
            member.queue.unshift(next);
            member.behind = true;
            continue;
          }
          member.last = next.seq;
          this.#answer({ done: false, value: next });
          return;
        }
        member.wake = this.#wake;
        return;
      }
      await this.#close();
      this.#answer(DONE);
    } catch (error) {
      await this.#close().catch(ignore);
      this.#answer(DONE, { error });
    }
  }

  /** One function per stream, handed to the groups each time it waits. */
  readonly #wake = () => void this.#advance();

  async #open(): Promise<void> {
    this.#opened = true;
    const options = this.#options as LiveStreamOptions<T>;
    this.#options = null;
    await options.admit?.();
    const { channel, parse, recheckMs = 15_000 } = options;
    const member = this.#member as Member<unknown>;
    this.#channelGroup = await this.#live.joinChannel(channel, parse, recheckMs, member);
    this.#sessionGroup = await this.#live.joinSession(options, recheckMs, member);
    this.#member.last = options.startAfter ?? (await options.latestSeq());
    this.#member.behind = options.startAfter !== null;
  }

  /** Leaves the groups it joined (the last member stops them), however the stream ends. */
  async #close(): Promise<void> {
    this.#closed = true;
    this.#backlog = [];
    this.#member.wake = null;
    const member = this.#member as Member<unknown>;
    const channelGroup = this.#channelGroup;
    const sessionGroup = this.#sessionGroup;
    this.#channelGroup = this.#sessionGroup = undefined;
    try {
      if (channelGroup) await this.#live.leave(channelGroup, member);
    } finally {
      if (sessionGroup) await this.#live.leave(sessionGroup, member);
    }
  }
}
