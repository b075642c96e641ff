import type { Connection } from '@mikro-orm/core';
import type { Bus } from '@shop/bus';
import { type NumberColumn, NumberReads } from './batched.ts';
import { EndChannels } from './end-channels.ts';
import { channelKind, endAll, type GroupKind, type Listening, type Member, sessionKind } from './groups.ts';
import type { EndOn, Sequenced } from './publish.ts';

/**
 * Streams that share their listeners and their periodic check. Per channel: one bus subscription
 * (a message is parsed once for all of them), one gap listener and one anti-entropy check per
 * interval. Per session: the revocation listener and one `stillAllowed` check per interval (per
 * user and session version, not per socket). All checks of an interval start in one tick, so the
 * reads behind them batch into a few statements (see `NumberReads`).
 */
export interface Group extends Listening {
  members: Set<Member<unknown>>;
  kind: GroupKind;
  recheckMs: number;
  checking: boolean;
  /** Where the group is registered (under `key`, null for a group of one stream). */
  groups: Map<string, Group>;
  key: string | null;
}

/** Reads a bus message of a channel (see `LiveStreamOptions.parse`). */
type Parse = (message: string) => Sequenced<unknown> | null;

/** A session's streams share a group when they give the same `allowKey` (see `LiveStreamOptions`). */
export interface SessionOptions {
  allowKey?: string | undefined;
  endOn?: EndOn | undefined;
}

/**
 * The live streams of one process on one bus: their groups, the end-channel listeners, one recheck
 * timer per interval and the batched reads behind the rechecks. The app creates one at start-up,
 * passes it in the context (`ctx.live`) and stops it at shutdown; nothing of it is module state.
 */
export interface LiveRegistry {
  readonly bus: Bus;
  /** Adds a stream to its channel's group, once the group's bus subscription is live. */
  joinChannel(channel: string, parse: Parse, recheckMs: number, member: Member<unknown>): Promise<Group>;
  /** Adds a stream to its session's group (one of its own without `allowKey`), once its end channel is live. */
  joinSession(session: SessionOptions, recheckMs: number, member: Member<unknown>): Promise<Group>;
  /** The last member to leave stops the group. */
  leave(group: Group, member: Member<unknown>): Promise<void>;
  /** A number by row id, batched with the other reads of this tick (see `NumberReads`). */
  readNumber(connection: Connection, column: NumberColumn, id: string): Promise<number | undefined>;
  /** The recheck intervals that have a timer running: for tests (timers are unref'd, so a leak would not show). */
  recheckIntervals(): number[];
  /** At shutdown: ends every stream (each leaves its groups at its next step) and stops the timers; joining afterwards fails. */
  stop(): void;
}

/** Ticks per recheck interval (fewer for an interval under 160 ms), each checking its share of the groups. */
const RECHECK_SLICES = 16;

/** An interval's groups in slices, `next` the one its timer checks at the next tick. */
interface Rechecks {
  slices: Set<Group>[];
  next: number;
  timer: ReturnType<typeof setInterval>;
}

export function createLiveRegistry(bus: Bus): LiveRegistry {
  return new Registry(bus);
}

class Registry implements LiveRegistry {
  readonly bus: Bus;
  // Two maps, so a channel key can never meet a session key.
  readonly #channelGroups = new Map<string, Group>();
  readonly #sessionGroups = new Map<string, Group>();
  readonly #ends: EndChannels;
  /**
   * One timer per interval for every group of the registry, not one per group, ticking
   * RECHECK_SLICES times per interval: each tick checks one slice of the groups, so the queries
   * behind a slice's checks batch (see `batched`) and no tick stalls the process with every check
   * at once (a thousand streams' rechecks in one tick held chat messages for ~200 ms).
   */
  readonly #rechecks = new Map<number, Rechecks>();
  readonly #numbers = new NumberReads();
  #stopped = false;

  constructor(bus: Bus) {
    this.bus = bus;
    this.#ends = new EndChannels(bus);
  }

  joinChannel(channel: string, parse: Parse, recheckMs: number, member: Member<unknown>): Promise<Group> {
    return this.#join(this.#channelGroups, `${recheckMs}\0${channel}`, recheckMs, member, () => channelKind(this.bus, channel, parse));
  }

  joinSession({ allowKey, endOn }: SessionOptions, recheckMs: number, member: Member<unknown>): Promise<Group> {
    const key = allowKey === undefined ? null : `${recheckMs}\0${endOn?.channel}\0${endOn?.message}\0${allowKey}`;
    return this.#join(this.#sessionGroups, key, recheckMs, member, () => sessionKind(this.#ends, endOn));
  }

  async leave(group: Group, member: Member<unknown>): Promise<void> {
    group.members.delete(member);
    if (group.members.size > 0) return;
    if (group.key !== null && group.groups.get(group.key) === group) group.groups.delete(group.key);
    this.#unschedule(group);
    group.close?.();
    await (await group.ready)?.();
  }

  readNumber(connection: Connection, column: NumberColumn, id: string): Promise<number | undefined> {
    return this.#numbers.read(connection, column, id);
  }

  recheckIntervals(): number[] {
    return [...this.#rechecks.keys()].sort((a, b) => a - b);
  }

  stop(): void {
    this.#stopped = true;
    for (const { slices, timer } of this.#rechecks.values()) {
      clearInterval(timer);
      for (const group of slices.flatMap((slice) => [...slice])) endAll(group.members);
    }
    this.#rechecks.clear();
  }

  /**
   * Adds `member` to the group under `key` (a new one made with `kind()` if there is none; with a
   * null key, one of its own), once the group's subscription is live. The stream keeps the group,
   * not a closure, to leave it: per stream, only what differs between streams is kept.
   */
  async #join(
    groups: Map<string, Group>,
    key: string | null,
    recheckMs: number,
    member: Member<unknown>,
    kind: () => GroupKind,
  ): Promise<Group> {
    if (this.#stopped) throw new Error('the live registry is stopped');
    const group = (key === null ? undefined : groups.get(key)) ?? this.#start(kind(), groups, key, recheckMs);
    group.members.add(member);
    try {
      await group.ready;
    } catch (error) {
      await this.leave(group, member).catch(() => {});
      throw error;
    }
    return group;
  }

  #start(kind: GroupKind, groups: Map<string, Group>, key: string | null, recheckMs: number): Group {
    const members = new Set<Member<unknown>>();
    const group: Group = { members, ...kind.listen(members), kind, recheckMs, checking: false, groups, key };
    this.#schedule(group);
    if (key !== null) groups.set(key, group);
    return group;
  }

  #schedule(group: Group): void {
    let every = this.#rechecks.get(group.recheckMs);
    if (!every) {
      // Ticks of 10 ms at least (a timer's own resolution is 1 ms): fewer slices for a short interval.
      const count = Math.max(1, Math.min(RECHECK_SLICES, Math.floor(group.recheckMs / 10)));
      const slices = Array.from({ length: count }, () => new Set<Group>());
      const rechecks: Rechecks = {
        slices,
        next: 0,
        timer: setInterval(() => {
          for (const g of slices[rechecks.next] ?? []) void recheck(g);
          rechecks.next = (rechecks.next + 1) % count;
        }, group.recheckMs / count),
      };
      rechecks.timer.unref();
      every = rechecks;
      this.#rechecks.set(group.recheckMs, every);
    }
    // The smallest of the slices checked in the second half of the interval from now: a group is
    // first checked between half an interval and an interval after it joined, and a storm of
    // joins spreads over half the slices.
    const count = every.slices.length;
    let least: Set<Group> | undefined;
    for (let k = Math.floor(count / 2); k < count; k++) {
      const slice = every.slices[(every.next + k) % count];
      if (slice && (!least || slice.size < least.size)) least = slice;
    }
    least?.add(group);
  }

  #unschedule(group: Group): void {
    const every = this.#rechecks.get(group.recheckMs);
    if (!every?.slices.some((slice) => slice.delete(group)) || every.slices.some((slice) => slice.size > 0)) return;
    clearInterval(every.timer);
    this.#rechecks.delete(group.recheckMs);
  }
}

async function recheck(group: Group): Promise<void> {
  if (group.checking) return;
  const first = group.members.values().next().value;
  if (!first) return;
  group.checking = true;
  try {
    await group.kind.check(first, group.members);
  } catch {
    // Undecided (database unreachable): the next interval asks again. Nothing is lost meanwhile,
    // and a sign-out still ends the streams at once through the revocation channel.
  } finally {
    group.checking = false;
  }
}
