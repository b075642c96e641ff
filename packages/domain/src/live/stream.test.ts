import { type Bus, createMemoryBus } from '@shop/bus';
import { describe, expect, it, vi } from 'vitest';
import { type LiveStreamOptions, liveStream, recheckIntervals, type Sequenced } from './stream.ts';

/** A stream with nothing stored, whose session is allowed: tests give what they vary. */
const quietStream = (options: Pick<LiveStreamOptions<string>, 'bus' | 'channel' | 'signal'> & Partial<LiveStreamOptions<string>>) =>
  liveStream<string>({
    parse: (message) => JSON.parse(message) as Sequenced<string>,
    backfill: async () => [],
    latestSeq: async () => 0,
    startAfter: null,
    stillAllowed: async () => true,
    ...options,
  });

/** A stored log of numbered events standing in for a table, and a bus to announce them on. */
function setup(bus: Bus) {
  const log: Sequenced<string>[] = [];
  const append = async (item: string) => {
    const event = { seq: log.length + 1, item };
    log.push(event);
    await bus.publish('test', JSON.stringify(event));
  };
  const stream = (startAfter: number | null, signal: AbortSignal, recheckMs = 60_000) =>
    liveStream<string>({
      bus,
      channel: 'test',
      parse: (message) => JSON.parse(message) as Sequenced<string>,
      backfill: async (after, limit) => log.filter((e) => e.seq > after).slice(0, limit),
      latestSeq: async () => log.length,
      startAfter,
      signal,
      stillAllowed: async () => true,
      recheckMs,
      maxBuffered: 3,
    });
  return { log, append, stream };
}

async function take(iterable: AsyncGenerator<Sequenced<string>>, count: number, controller: AbortController) {
  const got: number[] = [];
  for await (const event of iterable) {
    got.push(event.seq);
    if (got.length === count) break;
  }
  controller.abort();
  return got;
}

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

describe('liveStream', () => {
  it('starts after the newest stored event when no lastEventId is given', async () => {
    const { append, stream } = setup(createMemoryBus());
    await append('old');
    const controller = new AbortController();
    const got = take(stream(null, controller.signal), 2, controller);
    await tick();
    await append('new 1');
    await append('new 2');
    expect(await got).toEqual([2, 3]);
  });

  it('catches up from storage when every publish is lost and no gap is reported', async () => {
    const real = createMemoryBus();
    const silent: Bus = { ...real, publish: async () => {} };
    const { append, stream } = setup(silent);
    const controller = new AbortController();
    const got = take(stream(0, controller.signal, 50), 3, controller);
    await tick();
    await append('a');
    await append('b');
    await append('c');
    expect(await got).toEqual([1, 2, 3]);
  });

  it('keeps at most maxBuffered events for a slow consumer, then reads the rest from storage', async () => {
    const bus = createMemoryBus();
    const { append, stream } = setup(bus);
    const controller = new AbortController();
    const iterator = stream(0, controller.signal);
    const first = iterator.next();
    await tick();
    for (let i = 0; i < 10; i++) await append(`e${i}`);
    await tick();
    const seqs = [(await first).value?.seq];
    for (let i = 0; i < 9; i++) seqs.push((await iterator.next()).value?.seq);
    controller.abort();
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await iterator.return(undefined);
    expect(bus.stats().handlers).toBe(0);
  });

  it('shares one bus subscription and one session check among the streams of a channel and session', async () => {
    const bus = createMemoryBus();
    const log: Sequenced<string>[] = [];
    let allowed = true;
    let sessionChecks = 0;
    const open = (signal: AbortSignal) =>
      liveStream<string>({
        bus,
        channel: 'shared',
        parse: (message) => JSON.parse(message) as Sequenced<string>,
        backfill: async (after, limit) => log.filter((e) => e.seq > after).slice(0, limit),
        latestSeq: async () => log.length,
        startAfter: null,
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
    expect(recheckIntervals()).toEqual([]);
  });

  it('keeps streams open while their check cannot decide (the database is down), and ends them once it says no', async () => {
    const bus = createMemoryBus();
    let answer: 'down' | 'yes' | 'no' = 'down';
    let checks = 0;
    const stillAllowed = async () => {
      checks++;
      if (answer === 'down') throw new Error('database down');
      return answer === 'yes';
    };
    const controller = new AbortController();
    const stream = quietStream({ bus, channel: 'undecided', signal: controller.signal, allowKey: 'ann:1', stillAllowed, recheckMs: 30 });
    const first = stream.next();
    await vi.waitFor(() => expect(checks).toBeGreaterThanOrEqual(3));
    expect(recheckIntervals()).toEqual([30]);
    answer = 'yes';
    await bus.publish('undecided', JSON.stringify({ seq: 1, item: 'still open' }));
    expect((await first).value?.item).toBe('still open');
    const end = stream.next();
    answer = 'no';
    expect((await end).done).toBe(true);
    expect(recheckIntervals()).toEqual([]);
  });

  it('ends a waiting next() on return(), without an abort, and leaves its groups', async () => {
    const bus = createMemoryBus();
    const { stream } = setup(bus);
    const iterator = stream(null, new AbortController().signal);
    const waiting = iterator.next();
    await tick();
    expect(bus.stats().handlers).toBe(1);
    await iterator.return(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(bus.stats().handlers).toBe(0);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('catches up from storage when the bus reports a gap', async () => {
    const real = createMemoryBus();
    const gaps = new Set<() => void>();
    const lossy: Bus = {
      ...real,
      publish: async () => {},
      onGap: (listener) => {
        gaps.add(listener);
        return () => gaps.delete(listener);
      },
    };
    const { append, stream } = setup(lossy);
    const controller = new AbortController();
    const iterator = stream(0, controller.signal);
    const first = iterator.next();
    await tick();
    await append('lost');
    expect(gaps.size).toBe(1);
    for (const gap of gaps) gap();
    expect((await first).value?.seq).toBe(1);
    controller.abort();
    await iterator.return(undefined);
    expect(gaps.size).toBe(0);
  });

  it('removes what it set up when the subscription fails, so the next stream starts afresh', async () => {
    const real = createMemoryBus();
    const gaps = new Set<() => void>();
    let failNext = true;
    const flaky: Bus = {
      ...real,
      subscribe: (channel, handler) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('bus down'));
        }
        return real.subscribe(channel, handler);
      },
      onGap: (listener) => {
        gaps.add(listener);
        return () => gaps.delete(listener);
      },
    };
    const { append, stream } = setup(flaky);
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
    const open = (signal: AbortSignal, allowed: boolean) =>
      quietStream({
        bus,
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
    const open = (user: string, signal: AbortSignal) =>
      quietStream({ bus, channel: 'events', signal, endOn: { channel: 'revoked', message: user }, allowKey: `${user}:1` });
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
    let failEnd = true;
    const flaky: Bus = {
      ...real,
      subscribe: (channel, handler) => {
        if (channel === 'revoked' && failEnd) {
          failEnd = false;
          return Promise.reject(new Error('bus down'));
        }
        return real.subscribe(channel, handler);
      },
    };
    const open = (signal: AbortSignal) =>
      quietStream({ bus: flaky, channel: 'events', signal, endOn: { channel: 'revoked', message: 'ann' }, allowKey: 'ann:1' });
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
});
