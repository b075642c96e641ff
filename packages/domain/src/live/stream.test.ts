import { type Bus, createMemoryBus } from '@shop/bus';
import { describe, expect, it } from 'vitest';
import { createLiveRegistry } from './registry.ts';
import { setup, take, tick } from './test-streams.ts';

describe('liveStream', () => {
  it('starts after the newest stored event when no lastEventId is given', async () => {
    const { append, stream } = setup(createLiveRegistry(createMemoryBus()));
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
    const { append, stream } = setup(createLiveRegistry(silent));
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
    const { append, stream } = setup(createLiveRegistry(bus));
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

  it('ends a waiting next() on return(), without an abort, and leaves its groups', async () => {
    const bus = createMemoryBus();
    const { stream } = setup(createLiveRegistry(bus));
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
    const { append, stream } = setup(createLiveRegistry(lossy));
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
});
