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
   * revocation channel). The channel is subscribed once per process for all streams listening to it.
   */
  endOn?: EndOn;
  /** Events held for a slow consumer before falling back to the database. */
  maxBuffered?: number;
  /** How often `stillAllowed` and the catch-up check run (default 15 s). */
  recheckMs?: number;
}

export interface EndOn {
  channel: string;
  message: string;
}

const BACKFILL_BATCH = 200;

/** One running stream, as the shared per-channel and per-session checks see it. */
interface Member<T> {
  queue: Sequenced<T>[];
  /** The newest seq yielded (or the start). */
  last: number;
  behind: boolean;
  ended: boolean;
  maxBuffered: number;
  wake: (() => void) | null;
  latestSeq(): Promise<number>;
  stillAllowed(): Promise<boolean>;
}

function notify(member: Member<unknown>): void {
  const wake = member.wake;
  member.wake = null;
  wake?.();
}

/**
 * Streams that share their listeners and their periodic check. Per channel: one bus subscription
 * (a message is parsed once for all of them), one gap listener and one anti-entropy check per
 * interval. Per session: the revocation listener and one `stillAllowed` check per interval (per
 * user and session version, not per socket). All checks of an interval start in one tick, so the
 * reads behind them batch into a few statements (see `scheduleRechecks`).
 */
interface Group {
  members: Set<Member<unknown>>;
  /** The bus subscription, if any: resolves to its unsubscribe once it is live. */
  ready: Promise<(() => Promise<void>) | null>;
  /** Removes the listeners that are not bus subscriptions (the gap listener). */
  close: (() => void) | undefined;
  kind: GroupKind;
  recheckMs: number;
  checking: boolean;
  /** Where the group is registered (under `key`, null for a group of one stream). */
  groups: Map<string, Group>;
  key: string | null;
}

/** How one kind of group listens and what it checks every interval. */
interface GroupKind {
  listen(bus: Bus, members: Set<Member<unknown>>): Pick<Group, 'ready' | 'close'>;
  /** Asked with the first member's queries, which all members answer the same way. */
  check(first: Member<unknown>, members: Set<Member<unknown>>): Promise<void>;
}

async function recheck(group: Group, kind: GroupKind): Promise<void> {
  if (group.checking) return;
  const first = group.members.values().next().value;
  if (!first) return;
  group.checking = true;
  try {
    await kind.check(first, group.members);
  } catch {
    // Undecided (database unreachable): the next interval asks again. Nothing is lost meanwhile,
    // and a sign-out still ends the streams at once through the revocation channel.
  } finally {
    group.checking = false;
  }
}

/**
 * Adds `member` to the group under `key` (a new one made with `kind()` if there is none; with a
 * null key, one of its own), once the group's subscription is live. The stream keeps the group,
 * not a closure, to leave it: per stream, only what differs between streams is kept.
 */
async function join(
  bus: Bus,
  registry: WeakMap<Bus, Map<string, Group>>,
  key: string | null,
  recheckMs: number,
  member: Member<unknown>,
  kind: () => GroupKind,
): Promise<Group> {
  const groups = groupsOf(registry, bus);
  const group = (key === null ? undefined : groups.get(key)) ?? startGroup(bus, kind(), groups, key, recheckMs);
  group.members.add(member);
  try {
    await group.ready;
  } catch (error) {
    await leave(group, member).catch(() => {});
    throw error;
  }
  return group;
}

/**
 * One timer per interval for every group in the process, not one per group: all checks of an
 * interval start in the same tick, so the queries behind them can be batched (see `batched`),
 * a few statements per interval instead of one per session and per channel.
 */
const rechecks = new Map<number, { groups: Set<Group>; timer: ReturnType<typeof setInterval> }>();

function scheduleRechecks(group: Group): void {
  let every = rechecks.get(group.recheckMs);
  if (!every) {
    const groups = new Set<Group>();
    const timer = setInterval(() => {
      for (const g of groups) void recheck(g, g.kind);
    }, group.recheckMs);
    timer.unref();
    every = { groups, timer };
    rechecks.set(group.recheckMs, every);
  }
  every.groups.add(group);
}

/** The recheck intervals that have a timer running: for tests (timers are unref'd, so a leak would not show). */
export function recheckIntervals(): number[] {
  return [...rechecks.keys()].sort((a, b) => a - b);
}

function unscheduleRechecks(group: Group): void {
  const every = rechecks.get(group.recheckMs);
  if (!every?.groups.delete(group) || every.groups.size > 0) return;
  clearInterval(every.timer);
  rechecks.delete(group.recheckMs);
}

function startGroup(bus: Bus, kind: GroupKind, groups: Map<string, Group>, key: string | null, recheckMs: number): Group {
  const members = new Set<Member<unknown>>();
  const group: Group = { members, ...kind.listen(bus, members), kind, recheckMs, checking: false, groups, key };
  scheduleRechecks(group);
  if (key !== null) groups.set(key, group);
  return group;
}

/** The last member to leave stops the group. */
async function leave(group: Group, member: Member<unknown>): Promise<void> {
  group.members.delete(member);
  if (group.members.size > 0) return;
  if (group.key !== null && group.groups.get(group.key) === group) group.groups.delete(group.key);
  unscheduleRechecks(group);
  group.close?.();
  await (await group.ready)?.();
}

/** Streams of one channel. The group keeps the `parse` of the stream that created it. */
function channelKind(channel: string, parse: (message: string) => Sequenced<unknown> | null): GroupKind {
  return {
    listen: (bus, members) => ({
      ready: bus.subscribe(channel, (message) => {
        const event = parse(message);
        if (!event) return;
        for (const m of members) {
          if (m.queue.length >= m.maxBuffered) {
            m.queue.length = 0;
            m.behind = true;
          } else {
            m.queue.push(event);
          }
          notify(m);
        }
      }),
      close: bus.onGap(() => {
        for (const m of members) {
          m.behind = true;
          notify(m);
        }
      }),
    }),
    // Anti-entropy: whatever signal was lost (a publish, a gap notice), an idle stream that is
    // behind the database catches up within one interval.
    check: async (first, members) => {
      const latest = await first.latestSeq();
      for (const m of members) {
        if (m.queue.length === 0 && latest > m.last) {
          m.behind = true;
          notify(m);
        }
      }
    },
  };
}

/**
 * Listeners for end messages, per bus and channel: one bus subscription carries every session's
 * message (the revocation channel names the user), instead of one subscription per session.
 */
interface EndListeners {
  ready: Promise<() => Promise<void>>;
  byMessage: Map<string, Set<() => void>>;
}
const endListeners = new WeakMap<Bus, Map<string, EndListeners>>();

/**
 * Calls `end` when `message` arrives on `channel`; resolves, once the shared subscription is live,
 * to the function that stops listening (the last listener of a channel unsubscribes it).
 */
function listenForEnd(bus: Bus, { channel, message }: EndOn, end: () => void): Promise<() => Promise<void>> {
  let channels = endListeners.get(bus);
  if (!channels) {
    channels = new Map();
    endListeners.set(bus, channels);
  }
  const perBus = channels;
  let listeners = perBus.get(channel);
  if (!listeners) {
    const byMessage = new Map<string, Set<() => void>>();
    const created: EndListeners = {
      byMessage,
      ready: bus.subscribe(channel, (received) => {
        for (const listener of byMessage.get(received) ?? []) listener();
      }),
    };
    // A failed subscription is forgotten, so the next listener subscribes afresh.
    created.ready.catch(() => perBus.get(channel) === created && perBus.delete(channel));
    perBus.set(channel, created);
    listeners = created;
  }
  const shared = listeners;
  const ends = shared.byMessage.get(message) ?? new Set();
  shared.byMessage.set(message, ends.add(end));
  const stop = async () => {
    ends.delete(end);
    if (ends.size === 0 && shared.byMessage.get(message) === ends) shared.byMessage.delete(message);
    if (shared.byMessage.size > 0 || perBus.get(channel) !== shared) return;
    perBus.delete(channel);
    await (await shared.ready)();
  };
  return shared.ready.then(
    () => stop,
    async (error: unknown) => {
      await stop().catch(ignore);
      throw error;
    },
  );
}

/** Streams of one session: they all end on the `endOn` message or once `stillAllowed` says no. */
function sessionKind(endOn: EndOn | undefined): GroupKind {
  const end = (members: Set<Member<unknown>>) => {
    for (const m of members) {
      m.ended = true;
      notify(m);
    }
  };
  return {
    listen: (bus, members) => ({
      ready: endOn ? listenForEnd(bus, endOn, () => end(members)) : Promise.resolve(null),
      close: undefined,
    }),
    check: async (first, members) => {
      if (!(await first.stillAllowed())) end(members);
    },
  };
}

// Two registries, so a channel key can never meet a session key.
const channelGroups = new WeakMap<Bus, Map<string, Group>>();
const sessionGroups = new WeakMap<Bus, Map<string, Group>>();

function groupsOf(registry: WeakMap<Bus, Map<string, Group>>, bus: Bus): Map<string, Group> {
  let groups = registry.get(bus);
  if (!groups) {
    groups = new Map();
    registry.set(bus, groups);
  }
  return groups;
}

/**
 * Every event after the start, exactly once and in order, then live ones. It subscribes before it
 * reads the backlog; event numbers are dense and become visible in commit order, so a number that
 * skips ahead means a lost publish (or a Redis outage), which the database then fills in. A slow
 * consumer costs at most `maxBuffered` events of memory: beyond that the buffer is dropped and
 * the stream catches up from the database. Streams of one channel (and of one session) in this
 * process share the bus subscription and the periodic checks.
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
    const { bus, channel, parse, recheckMs = 15_000 } = options;
    const member = this.#member as Member<unknown>;
    const { endOn } = options;
    const sessionKey = options.allowKey === undefined ? null : `${recheckMs}\0${endOn?.channel}\0${endOn?.message}\0${options.allowKey}`;
    this.#channelGroup = await join(bus, channelGroups, `${recheckMs}\0${channel}`, recheckMs, member, () => channelKind(channel, parse));
    this.#sessionGroup = await join(bus, sessionGroups, sessionKey, recheckMs, member, () => sessionKind(endOn));
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
      if (channelGroup) await leave(channelGroup, member);
    } finally {
      if (sessionGroup) await leave(sessionGroup, member);
    }
  }
}

export const channels = {
  chat: (roomId: string) => `chat:${roomId}`,
  orders: (userId: string) => `orders:${userId}`,
};

/**
 * Sign-out: ends every live stream of the user, on every instance. One channel for all users,
 * the message names the user, so a process holds one subscription for it, not one per session.
 */
export const revocation = {
  publish: (bus: Bus, userId: string) => publishQuietly(bus, 'revoked', userId),
  endOn: (userId: string): EndOn => ({ channel: 'revoked', message: JSON.stringify(userId) }),
};

/** Publishes after commit. A failed publish loses nothing: subscribers back-fill from the database. */
export async function publishQuietly(bus: Bus, channel: string, payload: unknown, onError?: (error: unknown) => void): Promise<void> {
  try {
    await bus.publish(channel, JSON.stringify(payload));
  } catch (error) {
    onError?.(error);
  }
}
