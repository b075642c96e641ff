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
  /**
   * Streams with the same `endChannel` and `allowKey` (e.g. a user id and session version) give
   * the same `stillAllowed` answer, so it is asked once per interval for all of them.
   */
  allowKey?: string;
  /** A message on this channel ends the stream at once (a revoked session). */
  endChannel?: string;
  /** Events held for a slow consumer before falling back to the database. */
  maxBuffered?: number;
  recheckMs?: number;
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
 * (a message is parsed once for all of them), one gap listener and one anti-entropy query per
 * interval; at 20,000 sockets on a few channels that is a few queries per interval instead of one
 * per socket. Per session: the revocation channel and one `stillAllowed` query per interval (per
 * user and session version, not per socket).
 */
interface Group {
  members: Set<Member<unknown>>;
  /** The bus subscription, if any: resolves to its unsubscribe once it is live. */
  ready: Promise<(() => Promise<void>) | null>;
  /** Removes the listeners that are not bus subscriptions (the gap listener). */
  close: (() => void) | undefined;
  timer: ReturnType<typeof setInterval>;
  checking: boolean;
}

/** How one kind of group listens and what it checks every interval. */
interface GroupKind {
  registry: WeakMap<Bus, Map<string, Group>>;
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
 * Adds `member` to the group under `key` (a new one if there is none; with a null key, one of its
 * own), once the group's subscription is live. Returns how to leave: the last member to leave
 * stops the group.
 */
async function join(bus: Bus, kind: GroupKind, key: string | null, recheckMs: number, member: Member<unknown>) {
  const groups = groupsOf(kind.registry, bus);
  let group = key === null ? undefined : groups.get(key);
  if (!group) {
    const members = new Set<Member<unknown>>();
    const created: Group = {
      members,
      ...kind.listen(bus, members),
      timer: setInterval(() => void recheck(created, kind), recheckMs),
      checking: false,
    };
    created.timer.unref();
    if (key !== null) groups.set(key, created);
    group = created;
  }
  const joined = group;
  joined.members.add(member);
  const leave = async () => {
    joined.members.delete(member);
    if (joined.members.size > 0) return;
    if (key !== null && groups.get(key) === joined) groups.delete(key);
    clearInterval(joined.timer);
    joined.close?.();
    await (await joined.ready)?.();
  };
  try {
    await joined.ready;
  } catch (error) {
    await leave().catch(() => {});
    throw error;
  }
  return leave;
}

/** Streams of one channel. The group keeps the `parse` of the stream that created it. */
function channelKind(channel: string, parse: (message: string) => Sequenced<unknown> | null): GroupKind {
  return {
    registry: channelGroups,
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

/** Streams of one session: they all end on a message on `endChannel` or once `stillAllowed` says no. */
function sessionKind(endChannel: string | undefined): GroupKind {
  const end = (members: Set<Member<unknown>>) => {
    for (const m of members) {
      m.ended = true;
      notify(m);
    }
  };
  return {
    registry: sessionGroups,
    listen: (bus, members) => ({
      ready: endChannel ? bus.subscribe(endChannel, () => end(members)) : Promise.resolve(null),
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
 */
export async function* liveStream<T>(options: LiveStreamOptions<T>): AsyncGenerator<Sequenced<T>> {
  const { bus, channel, parse, backfill, signal, maxBuffered = 1_000, recheckMs = 15_000 } = options;
  const member: Member<T> = {
    queue: [],
    last: 0,
    behind: false,
    ended: false,
    maxBuffered,
    wake: null,
    latestSeq: options.latestSeq,
    stillAllowed: options.stillAllowed,
  };
  const sessionKey = options.allowKey === undefined ? null : `${recheckMs}\0${options.endChannel ?? ''}\0${options.allowKey}`;
  const leaveChannel = await join(bus, channelKind(channel, parse), `${recheckMs}\0${channel}`, recheckMs, member as Member<unknown>);
  let leaveSession: (() => Promise<void>) | undefined;
  const onAbort = () => notify(member as Member<unknown>);
  signal?.addEventListener('abort', onAbort);

  try {
    leaveSession = await join(bus, sessionKind(options.endChannel), sessionKey, recheckMs, member as Member<unknown>);
    member.last = options.startAfter ?? (await options.latestSeq());
    member.behind = options.startAfter !== null;
    while (!signal?.aborted && !member.ended) {
      if (member.behind) {
        member.behind = false;
        for (;;) {
          const rows = await backfill(member.last, BACKFILL_BATCH);
          for (const row of rows) {
            if (row.seq <= member.last) continue;
            member.last = row.seq;
            yield row;
          }
          if (rows.length < BACKFILL_BATCH) break;
        }
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
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        member.wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    try {
      await leaveChannel();
    } finally {
      await leaveSession?.();
    }
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
