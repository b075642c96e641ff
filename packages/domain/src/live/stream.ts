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
 * What all streams of one channel in this process share: one bus subscription (a message is
 * parsed once for all of them), one gap listener and one anti-entropy query per interval. At
 * 20,000 sockets on a few channels that is a few queries per interval instead of one per socket.
 */
interface ChannelGroup {
  members: Set<Member<unknown>>;
  parse(message: string): Sequenced<unknown> | null;
  ready: Promise<() => Promise<void>>;
  removeGap(): void;
  timer: ReturnType<typeof setInterval>;
  checking: boolean;
}

/**
 * What all streams of one session share: the revocation channel and one `stillAllowed` query
 * per interval (per user and session version, not per socket).
 */
interface SessionGroup {
  members: Set<Member<unknown>>;
  ready: Promise<(() => Promise<void>) | null>;
  timer: ReturnType<typeof setInterval>;
  checking: boolean;
}

const channelGroups = new WeakMap<Bus, Map<string, ChannelGroup>>();
const sessionGroups = new WeakMap<Bus, Map<string, SessionGroup>>();

function groupsOf<G>(registry: WeakMap<Bus, Map<string, G>>, bus: Bus): Map<string, G> {
  let groups = registry.get(bus);
  if (!groups) {
    groups = new Map();
    registry.set(bus, groups);
  }
  return groups;
}

/** Anti-entropy: whatever signal was lost (a publish, a gap notice), an idle stream that is behind the database catches up within one interval. */
async function recheckChannel(group: ChannelGroup): Promise<void> {
  if (group.checking) return;
  const first = group.members.values().next().value;
  if (!first) return;
  group.checking = true;
  try {
    const latest = await first.latestSeq();
    for (const member of group.members) {
      if (member.queue.length === 0 && latest > member.last) {
        member.behind = true;
        notify(member);
      }
    }
  } catch {
    // The database is unreachable: the next interval tries again (nothing is lost meanwhile).
  } finally {
    group.checking = false;
  }
}

async function recheckSession(group: SessionGroup): Promise<void> {
  if (group.checking) return;
  const first = group.members.values().next().value;
  if (!first) return;
  group.checking = true;
  try {
    if (await first.stillAllowed()) return;
    for (const member of group.members) {
      member.ended = true;
      notify(member);
    }
  } catch {
    // Undecided (database unreachable): ask again next interval; a sign-out still ends at once through the revocation channel.
  } finally {
    group.checking = false;
  }
}

async function joinChannel<T>(
  bus: Bus,
  key: string,
  channel: string,
  recheckMs: number,
  parse: LiveStreamOptions<T>['parse'],
  member: Member<T>,
) {
  const groups = groupsOf(channelGroups, bus);
  let group = groups.get(key);
  if (!group) {
    const created: ChannelGroup = {
      members: new Set(),
      parse,
      ready: bus.subscribe(channel, (message) => {
        const event = created.parse(message);
        if (!event) return;
        for (const m of created.members) {
          if (m.queue.length >= m.maxBuffered) {
            m.queue.length = 0;
            m.behind = true;
          } else {
            m.queue.push(event);
          }
          notify(m);
        }
      }),
      removeGap: bus.onGap(() => {
        for (const m of created.members) {
          m.behind = true;
          notify(m);
        }
      }),
      timer: setInterval(() => void recheckChannel(created), recheckMs),
      checking: false,
    };
    created.timer.unref();
    groups.set(key, created);
    group = created;
  }
  const joined = group;
  joined.members.add(member as Member<unknown>);
  const leave = async () => {
    joined.members.delete(member as Member<unknown>);
    if (joined.members.size > 0) return;
    if (groups.get(key) === joined) groups.delete(key);
    clearInterval(joined.timer);
    joined.removeGap();
    await (await joined.ready)();
  };
  try {
    await joined.ready;
  } catch (error) {
    await leave().catch(() => {});
    throw error;
  }
  return leave;
}

async function joinSession<T>(bus: Bus, key: string | null, endChannel: string | undefined, recheckMs: number, member: Member<T>) {
  const groups = groupsOf(sessionGroups, bus);
  let group = key === null ? undefined : groups.get(key);
  if (!group) {
    const created: SessionGroup = {
      members: new Set(),
      ready: endChannel
        ? bus.subscribe(endChannel, () => {
            for (const m of created.members) {
              m.ended = true;
              notify(m);
            }
          })
        : Promise.resolve(null),
      timer: setInterval(() => void recheckSession(created), recheckMs),
      checking: false,
    };
    created.timer.unref();
    if (key !== null) groups.set(key, created);
    group = created;
  }
  const joined = group;
  joined.members.add(member as Member<unknown>);
  const leave = async () => {
    joined.members.delete(member as Member<unknown>);
    if (joined.members.size > 0) return;
    if (key !== null && groups.get(key) === joined) groups.delete(key);
    clearInterval(joined.timer);
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
  const leaveChannel = await joinChannel(bus, `${recheckMs}\0${channel}`, channel, recheckMs, parse, member);
  let leaveSession: (() => Promise<void>) | undefined;
  const onAbort = () => notify(member as Member<unknown>);
  signal?.addEventListener('abort', onAbort);

  try {
    leaveSession = await joinSession(bus, sessionKey, options.endChannel, recheckMs, member);
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
