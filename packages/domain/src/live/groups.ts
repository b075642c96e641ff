import type { Bus } from '@shop/bus';
import type { EndChannels } from './end-channels.ts';
import type { EndOn, Sequenced } from './publish.ts';

/** One running stream, as the shared per-channel and per-session checks see it. */
export interface Member<T> {
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

/** Runs the member's waiting step, if it is waiting. */
export function notify(member: Member<unknown>): void {
  const wake = member.wake;
  member.wake = null;
  wake?.();
}

/** What a group's listeners are: the bus subscription, if any, and the rest. */
export interface Listening {
  /** The bus subscription, if any: resolves to its unsubscribe once it is live. */
  ready: Promise<(() => Promise<void>) | null>;
  /** Removes the listeners that are not bus subscriptions (the gap listener). */
  close: (() => void) | undefined;
}

/** How one kind of group listens and what it checks every interval. */
export interface GroupKind {
  listen(members: Set<Member<unknown>>): Listening;
  /** Asked with the first member's queries, which all members answer the same way. */
  check(first: Member<unknown>, members: Set<Member<unknown>>): Promise<void>;
}

/** Streams of one channel. The group keeps the `parse` of the stream that created it. */
export function channelKind(bus: Bus, channel: string, parse: (message: string) => Sequenced<unknown> | null): GroupKind {
  return {
    listen: (members) => ({
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

/** Streams of one session: they all end on the `endOn` message or once `stillAllowed` says no. */
export function sessionKind(ends: EndChannels, endOn: EndOn | undefined): GroupKind {
  return {
    listen: (members) => ({
      ready: endOn ? ends.listen(endOn, () => endAll(members)) : Promise.resolve(null),
      close: undefined,
    }),
    check: async (first, members) => {
      if (!(await first.stillAllowed())) endAll(members);
    },
  };
}

/** Ends the members: each stream finishes at its next step, and a waiting one at once. */
export function endAll(members: Iterable<Member<unknown>>): void {
  for (const m of members) {
    m.ended = true;
    notify(m);
  }
}
