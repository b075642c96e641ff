import { type Bus, createMemoryBus } from '@shop/bus';
import { describe, expect, it, vi } from 'vitest';
import type { Sequenced } from './publish.ts';
import { createLiveRegistry } from './registry.ts';
import { quietStream, setup, take, tick } from './test-streams.ts';

/** `real`, except that its first subscription (to `only`, if given) fails as with Redis down. */
function failingFirstSubscribe(real: Bus, only?: string): Bus {
  let failed = false;
  return {
    ...real,
    subscribe: (channel, handler) => {
      if (!failed && (only === undefined || channel === only)) {
        failed = true;
        return Promise.reject(new Error('bus down'));
      }
      return real.subscribe(channel, handler);
    },
  };
}

describe('LiveRegistry', () => {
  it('shares one bus subscription and one session check among the streams of a channel and session', async () => {
    const bus = createMemoryBus();
    const live = createLiveRegistry(bus);
    const log: Sequenced<string>[] = [];
    let allowed = true;
    let sessionChecks = 0;
    const open = (signal: AbortSignal) =>
      quietStream({
        live,
        channel: 'shared',
        backfill: async (after, limit) => log.filter((e) => e.seq > after).slice(0, limit),
        latestSeq: async () => log.length,
        signal,
        endOn: { channel: 'end', message: 'user-1' },
        allowKey: 'user-1:1',
        stillAllowed: async () => {
          sessionChecks++;
          return allowed;
        },
        recheckMs: 30,
      });
    const controller = new AbortController();
    const streams = [open(controller.signal), open(controller.signal), open(controller.signal)];
    const firsts = streams.map((s) => s.next());
    await tick();
    // One handler for the channel and one for the revocation channel, whatever the number of streams.
    expect(bus.stats().handlers).toBe(2);
    log.push({ seq: 1, item: 'hello' });
    await bus.publish('shared', JSON.stringify(log[0]));
    expect((await Promise.all(firsts)).map((r) => r.value?.seq)).toEqual([1, 1, 1]);
    const ends = streams.map((s) => s.next());
    const checksBefore = sessionChecks;
    allowed = false;
    expect((await Promise.all(ends)).map((r) => r.done)).toEqual([true, true, true]);
    // All three ended on the same answer: the check is per session, not per stream.
    expect(sessionChecks - checksBefore).toBe(1);
    expect(bus.stats().handlers).toBe(0);
    // The shared recheck timer goes with the last group.
    expect(live.recheckIntervals()).toEqual([]);
  });

  it('spreads the rechecks of many sessions over the interval, each first checked after half an interval or more', async () => {
    const live = createLiveRegistry(createMemoryBus());
    const recheckMs = 320;
    const checks: { session: number; atMs: number }[] = [];
    let measured = false;
    const started = performance.now();
    const controller = new AbortController();
    // A storm: 64 sessions' streams open in the same tick, each on a channel of its own.
    const pulls = Array.from({ length: 64 }, (_, session) =>
      quietStream({
        live,
        channel: `storm-${session}`,
        signal: controller.signal,
        allowKey: `user-${session}:1`,
        stillAllowed: async () => {
          if (!measured) checks.push({ session, atMs: performance.now() - started });
          return !measured;
        },
        recheckMs,
      }).next(),
    );
    await vi.waitFor(() => expect(new Set(checks.map((c) => c.session)).size).toBe(64), { timeout: 2_000 });
    // Ends them all at their next check.
    measured = true;
    await Promise.all(pulls);
    const firsts = [...new Map(checks.toReversed().map((c) => [c.session, c.atMs])).values()];
    // Not before half an interval (a check right after joining would be wasted), none later than one.
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(recheckMs / 2 - 25);
    // (With room for a loaded machine's late timers.)
    expect(Math.max(...firsts)).toBeLessThanOrEqual(2 * recheckMs);
    // In slices a tick apart, not all at once: at most a quarter of them within any 10 ms.
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThanOrEqual(recheckMs / 4);
    const crowd = Math.max(...firsts.map((t) => firsts.filter((u) => u >= t && u < t + 10).length));
    expect(crowd).toBeLessThanOrEqual(16);
    expect(live.recheckIntervals()).toEqual([]);
  });

  it('keeps streams open while their check cannot decide (the database is down), and ends them once it says no', async () => {
    const bus = createMemoryBus();
    const live = createLiveRegistry(bus);
    let answer: 'down' | 'yes' | 'no' = 'down';
    let checks = 0;
    const stillAllowed = async () => {
      checks++;
      if (answer === 'down') throw new Error('database down');
      return answer === 'yes';
    };
    const controller = new AbortController();
    const stream = quietStream({ live, channel: 'undecided', signal: controller.signal, allowKey: 'ann:1', stillAllowed, recheckMs: 30 });
    const first = stream.next();
    await vi.waitFor(() => expect(checks).toBeGreaterThanOrEqual(3));
    expect(live.recheckIntervals()).toEqual([30]);
    answer = 'yes';
    await bus.publish('undecided', JSON.stringify({ seq: 1, item: 'still open' }));
    expect((await first).value?.item).toBe('still open');
    const end = stream.next();
    answer = 'no';
    expect((await end).done).toBe(true);
    expect(live.recheckIntervals()).toEqual([]);
  });

  it('removes what it set up when the subscription fails, so the next stream starts afresh', async () => {
    const real = createMemoryBus();
    const gaps = new Set<() => void>();
    const flaky: Bus = {
      ...failingFirstSubscribe(real),
      onGap: (listener) => {
        gaps.add(listener);
        return () => gaps.delete(listener);
      },
    };
    const { append, stream } = setup(createLiveRegistry(flaky));
    const failed = new AbortController();
    await expect(stream(null, failed.signal).next()).rejects.toThrow('bus down');
    expect(gaps.size).toBe(0);
    expect(real.stats().handlers).toBe(0);

    const controller = new AbortController();
    const got = take(stream(null, controller.signal), 1, controller);
    await tick();
    await append('after');
    expect(await got).toEqual([1]);
    expect(real.stats().handlers).toBe(0);
  });

  it('gives each stream without allowKey a session check of its own', async () => {
    const bus = createMemoryBus();
    const live = createLiveRegistry(bus);
    const open = (signal: AbortSignal, allowed: boolean) =>
      quietStream({
        live,
        channel: 'own',
        signal,
        endOn: { channel: 'end-own', message: 'anyone' },
        stillAllowed: async () => allowed,
        recheckMs: 30,
      });
    const controller = new AbortController();
    const refused = open(controller.signal, false);
    const kept = open(controller.signal, true);
    const refusedEnd = refused.next();
    const keptFirst = kept.next();
    await tick();
    // One handler for the shared channel and one for the end channel, shared by both sessions.
    expect(bus.stats().handlers).toBe(2);
    expect((await refusedEnd).done).toBe(true);
    // The refusal was for the other stream only: this one still receives events.
    await bus.publish('own', JSON.stringify({ seq: 1, item: 'still here' }));
    expect((await keptFirst).value?.seq).toBe(1);
    const keptEnd = kept.next();
    await bus.publish('end-own', 'anyone');
    expect((await keptEnd).done).toBe(true);
    expect(bus.stats().handlers).toBe(0);
  });

  it('ends only the named session on the shared end channel, and unsubscribes it with the last session', async () => {
    const bus = createMemoryBus();
    const live = createLiveRegistry(bus);
    const open = (user: string, signal: AbortSignal) =>
      quietStream({ live, channel: 'events', signal, endOn: { channel: 'revoked', message: user }, allowKey: `${user}:1` });
    const controller = new AbortController();
    const [ann1, ann2, bob] = [open('ann', controller.signal), open('ann', controller.signal), open('bob', controller.signal)];
    const waiting = [ann1.next(), ann2.next(), bob.next()];
    await tick();
    // One handler for the events and one for the end channel, whatever the number of sessions.
    expect(bus.stats().handlers).toBe(2);
    await bus.publish('revoked', 'carol');
    await bus.publish('revoked', 'ann');
    expect((await waiting[0])?.done).toBe(true);
    expect((await waiting[1])?.done).toBe(true);
    await bus.publish('events', JSON.stringify({ seq: 1, item: 'for bob' }));
    expect((await waiting[2])?.value?.item).toBe('for bob');
    expect(bus.stats().handlers).toBe(2);
    const bobEnd = bob.next();
    await bus.publish('revoked', 'bob');
    expect((await bobEnd).done).toBe(true);
    expect(bus.stats().handlers).toBe(0);
  });

  it('forgets a failed end-channel subscription, so the next session subscribes afresh', async () => {
    const real = createMemoryBus();
    const flaky = failingFirstSubscribe(real, 'revoked');
    const live = createLiveRegistry(flaky);
    const open = (signal: AbortSignal) =>
      quietStream({ live, channel: 'events', signal, endOn: { channel: 'revoked', message: 'ann' }, allowKey: 'ann:1' });
    await expect(open(new AbortController().signal).next()).rejects.toThrow('bus down');
    expect(real.stats().handlers).toBe(0);
    const stream = open(new AbortController().signal);
    const end = stream.next();
    await tick();
    expect(real.stats().handlers).toBe(2);
    await real.publish('revoked', 'ann');
    expect((await end).done).toBe(true);
    expect(real.stats().handlers).toBe(0);
  });

  it('keeps two registries on one bus apart: an event, a check or a stop in one leaves the other alone', async () => {
    const bus = createMemoryBus();
    const [here, there] = [createLiveRegistry(bus), createLiveRegistry(bus)];
    let hereChecks = 0;
    let thereChecks = 0;
    const controller = new AbortController();
    const open = (live: typeof here, onCheck: () => void) =>
      quietStream({
        live,
        channel: 'events',
        signal: controller.signal,
        endOn: { channel: 'revoked', message: 'ann' },
        allowKey: 'ann:1',
        stillAllowed: async () => {
          onCheck();
          return true;
        },
        recheckMs: 30,
      });
    const hereStream = open(here, () => hereChecks++);
    const thereStream = open(there, () => thereChecks++);
    const hereFirst = hereStream.next();
    const thereFirst = thereStream.next();
    await tick();
    // Nothing shared between them: each has its own subscriptions and its own timer.
    expect(bus.stats().handlers).toBe(4);
    expect(here.recheckIntervals()).toEqual([30]);
    expect(there.recheckIntervals()).toEqual([30]);
    await vi.waitFor(() => expect(Math.min(hereChecks, thereChecks)).toBeGreaterThanOrEqual(1));

    // Stopping one ends its streams and clears its timer: its checks stop, the other's go on.
    here.stop();
    expect(here.recheckIntervals()).toEqual([]);
    expect((await hereFirst).done).toBe(true);
    const hereChecksAtStop = hereChecks;
    const thereChecksAtStop = thereChecks;
    expect(bus.stats().handlers).toBe(2);
    expect(there.recheckIntervals()).toEqual([30]);
    await vi.waitFor(() => expect(thereChecks).toBeGreaterThan(thereChecksAtStop + 1));
    expect(hereChecks).toBe(hereChecksAtStop);
    await expect(quietStream({ live: here, channel: 'events', signal: controller.signal }).next()).rejects.toThrow('stopped');

    // The other registry's stream still receives events and ends on its own.
    await bus.publish('events', JSON.stringify({ seq: 1, item: 'for there' }));
    expect((await thereFirst).value?.item).toBe('for there');
    await thereStream.return(undefined);
    expect(there.recheckIntervals()).toEqual([]);
    expect(bus.stats().handlers).toBe(0);
  });
});
