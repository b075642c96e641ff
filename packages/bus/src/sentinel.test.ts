// The Redis bus through Sentinel, against real processes: a primary, its replica and three
// Sentinels (with passwords, as in production), each group private to its test.
import { clientNames, type SentinelGroup, startSentinelGroup } from '@shop/proc';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Bus } from './bus.ts';
import type { RedisConnection } from './connection.ts';
import { busContract, collector, uniqueChannel, untilEnd } from './contract.test-suite.ts';
import { createRedisBus } from './redis.ts';

const PASSWORDS = { password: 'data-password-for-tests', sentinelPassword: 'sentinel-password-for-tests' };

const through = (group: SentinelGroup): RedisConnection => ({ sentinels: [...group.sentinels], name: group.masterName, ...PASSWORDS });

async function subscribers(redis: Redis, channel: string): Promise<number> {
  return Number((await redis.pubsub('NUMSUB', channel))[1]);
}

describe('through Sentinel', () => {
  let shared: SentinelGroup;
  beforeAll(async () => {
    shared = await startSentinelGroup(PASSWORDS);
  }, 60_000);
  afterAll(() => shared?.stop());

  busContract('redis through Sentinel', (options) => createRedisBus({ redis: through(shared), ...options }));
});

describe('redis bus through Sentinel, failing over', () => {
  let group: SentinelGroup | undefined;
  const buses: Bus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    await group?.stop();
  });

  async function setUp() {
    group = await startSentinelGroup(PASSWORDS);
    const { primary, replica } = await group.roles();
    const publisher = createRedisBus({ redis: through(group), name: 'pub-side', onError: () => {} });
    const listener = createRedisBus({ redis: through(group), name: 'sub-side', onError: () => {} });
    buses.push(publisher, listener);
    const channel = uniqueChannel('failover');
    const received = collector();
    await listener.subscribe(channel, received.handler);
    const gaps = vi.fn();
    listener.onGap(gaps);
    await publisher.publish(channel, 'before');
    await vi.waitFor(() => expect(received.messages).toEqual(['before']));
    return { group, primary, replica, publisher, channel, received, gaps };
  }

  /** Publishes `end` until it goes through (the publisher may still be finding the new primary). */
  async function publishEnd(publisher: Bus, channel: string): Promise<void> {
    await vi.waitFor(() => publisher.publish(channel, 'end'), { timeout: 15_000, interval: 200 });
  }

  it('follows the promoted replica after the primary is SIGKILLed: re-subscribes there and reports the gap', async () => {
    const { group, primary, replica, publisher, channel, received, gaps } = await setUp();
    await group.kill(primary);
    await group.waitForPrimary(replica);
    // The re-subscribe on the new primary is done before onGap fires (the back-fill must not miss anything).
    await vi.waitFor(() => expect(gaps).toHaveBeenCalledTimes(1), { timeout: 15_000 });
    await publishEnd(publisher, channel);
    await untilEnd(received);
    // Exactly once each: nothing published during the failover is resent.
    expect(received.messages).toEqual(['before', 'end']);
    await group.query(replica, async (redis) => {
      expect(await subscribers(redis, channel)).toBe(1);
      // Every connection follows, the idle publisher of the listening side too, once its
      // reconnect backoff has run (it has nothing to send meanwhile).
      await vi.waitFor(
        async () => expect(await clientNames(redis)).toEqual(['pub-side:pub', 'pub-side:sub', 'sub-side:pub', 'sub-side:sub']),
        { timeout: 15_000, interval: 200 },
      );
    });
  }, 60_000);

  it('leaves a demoted primary at once, not when Sentinel gets round to disconnecting its clients', async () => {
    const { group, primary, replica, publisher, channel, received, gaps } = await setUp();
    const sentinel = group.sentinels[0];
    if (!sentinel) throw new Error('no sentinel');
    // A failover with the old primary still running, as after a network split or for maintenance.
    await group.query(sentinel.port, (redis) => redis.call('SENTINEL', 'FAILOVER', group.masterName));
    await group.waitForPrimary(replica);
    // Sentinel would only disconnect the old primary's clients when it reconfigures it, 8 s or more
    // later; meanwhile new connections go to the new primary and pub/sub is split in two.
    await vi.waitFor(() => expect(gaps).toHaveBeenCalledTimes(1), { timeout: 5_000, interval: 50 });
    await publishEnd(publisher, channel);
    await untilEnd(received);
    expect(received.messages).toEqual(['before', 'end']);
    await group.query(replica, async (redis) => expect(await subscribers(redis, channel)).toBe(1));
    await group.query(primary, async (redis) => expect(await clientNames(redis)).toEqual([]));
  }, 60_000);
});
