import { createMemoryBus } from '@shop/bus';
import { sleep } from '@shop/proc';
import { describe, expect, it } from 'vitest';
import { revocation } from './publish.ts';
import { createLiveRegistry, type LiveRegistry } from './registry.ts';
import { type SnapshotStreamOptions, snapshotStream } from './snapshot-stream.ts';

/** A counter standing in for the database, read through a stream on channel `figures`. */
function setup(overrides: Partial<SnapshotStreamOptions<number>> = {}) {
  const live = createLiveRegistry(createMemoryBus());
  const state = { value: 0, loads: 0 };
  const stream = snapshotStream<number>({
    live,
    channel: 'figures',
    load: async () => {
      state.loads++;
      return state.value;
    },
    same: (a, b) => a === b,
    minIntervalMs: 300,
    signal: undefined,
    stillAllowed: async () => true,
    ...overrides,
  });
  const change = async (value: number) => {
    state.value = value;
    await live.bus.publish('figures', 'changed');
  };
  return { live, state, stream, change };
}

/** Collects the stream's values, with when they came, until `ms` passed. */
async function collect(stream: AsyncGenerator<number>, ms: number, during: () => Promise<void>) {
  const got: { value: number; atMs: number }[] = [];
  const started = performance.now();
  const reading = (async () => {
    for await (const value of stream) got.push({ value, atMs: performance.now() - started });
  })();
  await during();
  await sleep(ms - (performance.now() - started));
  await stream.return(undefined);
  await reading;
  return got;
}

const stopped = (live: LiveRegistry) => live.stop();

describe('snapshotStream', () => {
  it('gives the value at once, then at most one per interval under a burst of changes, ending on the newest', async () => {
    const { live, state, stream, change } = setup();
    const got = await collect(stream, 1_100, async () => {
      await sleep(50);
      for (let i = 1; i <= 30; i++) {
        await change(i);
        await sleep(10);
      }
    });
    expect(got[0]).toMatchObject({ value: 0 });
    expect(got[0]?.atMs).toBeLessThan(100);
    expect(got.at(-1)?.value).toBe(30);
    // 30 changes over ~350 ms: the first value, then one per 300 ms.
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThanOrEqual(3);
    for (let i = 1; i < got.length; i++) expect((got[i]?.atMs ?? 0) - (got[i - 1]?.atMs ?? 0)).toBeGreaterThanOrEqual(290);
    expect(state.loads).toBe(got.length);
    stopped(live);
  });

  it('sends nothing when a change leaves the value as it was', async () => {
    const { live, state, stream, change } = setup({ minIntervalMs: 20 });
    const got = await collect(stream, 300, async () => {
      await sleep(30);
      await change(0);
      await sleep(60);
      await change(7);
    });
    expect(got.map((g) => g.value)).toEqual([0, 7]);
    expect(state.loads).toBe(3);
    stopped(live);
  });

  it('reads again at every recheck, without any message (a lost one, the clock moving on)', async () => {
    const { live, state, stream } = setup({ minIntervalMs: 10, recheckMs: 50 });
    const got = await collect(stream, 400, async () => {
      await sleep(20);
      state.value = 5; // changed in the database, announced by nobody
    });
    expect(got.map((g) => g.value)).toEqual([0, 5]);
    stopped(live);
  });

  it('ends a waiting stream at once on return(), on sign-out and on registry stop, leaving its bus subscriptions', async () => {
    const { live, stream } = setup();
    expect((await stream.next()).value).toBe(0);
    const pending = stream.next();
    const started = performance.now();
    await stream.return(undefined);
    expect((await pending).done).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);

    const endOn = revocation.endOn('user-1');
    const signedIn = setup({ endOn, allowKey: 'user-1:1' });
    await signedIn.stream.next();
    const waiting = signedIn.stream.next();
    await revocation.publish(signedIn.live.bus, 'user-1');
    expect((await waiting).done).toBe(true);

    const atStop = setup();
    await atStop.stream.next();
    const beforeStop = atStop.stream.next();
    atStop.live.stop();
    expect((await beforeStop).done).toBe(true);
    for (const registry of [live, signedIn.live, atStop.live]) expect(registry.bus.stats().handlers).toBe(0);
    stopped(live);
    stopped(signedIn.live);
  });

  it('keeps going when a read fails: the next change reads again', async () => {
    let fail = false;
    const { live, state, stream, change } = setup({ minIntervalMs: 10 });
    const load = async () => {
      state.loads++;
      if (fail) throw new Error('database down');
      return state.value;
    };
    const failing = snapshotStream<number>({
      live,
      channel: 'figures',
      load,
      same: (a, b) => a === b,
      minIntervalMs: 10,
      signal: undefined,
      stillAllowed: async () => true,
    });
    const got = await collect(failing, 300, async () => {
      await sleep(20);
      fail = true;
      await change(1);
      await sleep(40);
      fail = false;
      await change(2);
    });
    expect(got.map((g) => g.value)).toEqual([0, 2]);
    await stream.return(undefined);
    stopped(live);
  });
});
