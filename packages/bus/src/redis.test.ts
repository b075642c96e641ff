import { randomUUID } from 'node:crypto';
import { freePort, spawnRedis, stop, stopAll } from '@shop/proc';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type Bus, type BusErrorHandler, BusUnavailableError } from './bus.ts';
import { busContract, collector, uniqueChannel, untilEnd } from './contract.test-suite.ts';
import { createRedisBus } from './redis.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const uniqueName = () => `bus-test-${randomUUID()}`;

busContract('redis', (options) => createRedisBus({ redis: { url: REDIS_URL }, name: uniqueName(), ...options }));

const buses: Bus[] = [];
const admins: Redis[] = [];
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  for (const admin of admins) admin.disconnect();
  // Only the redis-server processes this file started, by their PID.
  await stopAll();
});

function bus(url: string, options: { name?: string; onError?: BusErrorHandler; timeoutMs?: number; heartbeatMs?: number } = {}): Bus {
  const created = createRedisBus({ redis: { url }, onError: () => {}, ...options });
  buses.push(created);
  return created;
}

function admin(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  admins.push(client);
  return client;
}

async function subscriberCount(client: Redis, channel: string): Promise<number> {
  const reply = await client.pubsub('NUMSUB', channel);
  return Number(reply[1]);
}

async function connectionsNamed(client: Redis, name: string): Promise<number> {
  const list = String(await client.call('CLIENT', 'LIST'));
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

/** Resolves with how long `run` took. */
async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

describe('redis bus', () => {
  it('carries messages between two buses, as between two processes', async () => {
    const [one, two] = [bus(REDIS_URL), bus(REDIS_URL)];
    const channel = uniqueChannel();
    const [onOne, onTwo] = [collector(), collector()];
    await one.subscribe(channel, onOne.handler);
    await two.subscribe(channel, onTwo.handler);

    await one.publish(channel, 'from one');
    await two.publish(channel, 'from two');
    await one.publish(channel, 'end');
    await untilEnd(onOne, onTwo);

    expect(onOne.messages).toEqual(['from one', 'from two', 'end']);
    expect(onTwo.messages).toEqual(['from one', 'from two', 'end']);
  });

  it('uses one subscriber connection for all channels and one Redis subscription per channel', async () => {
    const name = uniqueName();
    const local = bus(REDIS_URL, { name });
    const redis = admin(REDIS_URL);
    const [a, b] = [uniqueChannel('a'), uniqueChannel('b')];
    const unsubscribeA1 = await local.subscribe(a, () => {});
    const unsubscribeA2 = await local.subscribe(a, () => {});
    await local.subscribe(b, () => {});

    expect(await connectionsNamed(redis, `${name}:sub`)).toBe(1);
    expect(await subscriberCount(redis, a)).toBe(1);
    expect(await subscriberCount(redis, b)).toBe(1);

    await unsubscribeA1();
    expect(await subscriberCount(redis, a)).toBe(1);
    await unsubscribeA2();
    expect(await subscriberCount(redis, a)).toBe(0);
    expect(await subscriberCount(redis, b)).toBe(1);
  });

  it('resolves subscribe and rejects publish at once when Redis is unreachable from the start', async () => {
    const onError = vi.fn<BusErrorHandler>();
    const unreachable = bus('redis://127.0.0.1:1', { onError });
    const channel = uniqueChannel();

    expect(await timed(() => unreachable.subscribe(channel, () => {}))).toBeLessThan(1_000);
    expect(unreachable.stats()).toMatchObject({ channels: 1, handlers: 1 });
    for (let i = 0; i < 3; i++) {
      let error: unknown;
      const took = await timed(() => unreachable.publish(channel, 'lost').catch((e: unknown) => (error = e)));
      expect(error).toBeInstanceOf(BusUnavailableError);
      expect(took).toBeLessThan(1_000);
    }
    expect(unreachable.stats().published).toBe(0);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'ECONNREFUSED' }), { source: 'connection' });
  });

  describe('with a private redis-server', () => {
    it('survives a Redis restart: publish fails fast while down, then onGap fires and delivery resumes', { timeout: 30_000 }, async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      let server = await spawnRedis(port);
      const name = uniqueName();
      const onError = vi.fn<BusErrorHandler>();
      const local = bus(url, { name, onError });
      let gaps = 0;
      local.onGap(() => gaps++);

      const [kept, leaving, addedWhileDown] = [uniqueChannel('kept'), uniqueChannel('leaving'), uniqueChannel('added')];
      const [onKept, onAdded] = [collector(), collector()];
      await local.subscribe(kept, onKept.handler);
      const unsubscribeLeaving = await local.subscribe(leaving, () => {});
      await local.publish(kept, 'before');
      await vi.waitFor(() => expect(onKept.messages).toEqual(['before']));
      expect(gaps).toBe(0);

      await stop(server, 'SIGKILL');
      // Once a reconnect attempt has been refused, both connections know Redis is gone.
      await vi.waitFor(() =>
        expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'ECONNREFUSED' }), { source: 'connection' }),
      );
      for (let i = 0; i < 3; i++) {
        let error: unknown;
        const took = await timed(() => local.publish(kept, 'lost').catch((e: unknown) => (error = e)));
        expect(error).toBeInstanceOf(BusUnavailableError);
        expect(took).toBeLessThan(500);
      }
      // While down, subscribe only registers locally and unsubscribe only forgets; both return at once.
      expect(await timed(() => local.subscribe(addedWhileDown, onAdded.handler))).toBeLessThan(500);
      expect(await timed(() => unsubscribeLeaving())).toBeLessThan(500);
      expect(local.stats()).toMatchObject({ channels: 2, handlers: 2, published: 1 });

      server = await spawnRedis(port);
      await vi.waitFor(() => expect(gaps).toBe(1), { timeout: 10_000 });

      // onGap fires only once the channels are subscribed again, so this publish is not lost.
      const other = bus(url);
      await other.publish(kept, 'after');
      await other.publish(addedWhileDown, 'after');
      await other.publish(kept, 'end');
      await other.publish(addedWhileDown, 'end');
      await untilEnd(onKept, onAdded);
      expect(onKept.messages).toEqual(['before', 'after', 'end']);
      expect(onAdded.messages).toEqual(['after', 'end']);

      const redis = admin(url);
      expect(await connectionsNamed(redis, `${name}:sub`)).toBe(1);
      expect(await subscriberCount(redis, kept)).toBe(1);
      expect(await subscriberCount(redis, addedWhileDown)).toBe(1);
      // Its last handler left during the outage, so it was not re-subscribed.
      expect(await subscriberCount(redis, leaving)).toBe(0);
      expect(gaps).toBe(1);
      await stop(server, 'SIGKILL');
    });

    it('gives up on a Redis that stops answering within the timeout, and recovers when it answers again', { timeout: 30_000 }, async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      const server = await spawnRedis(port);
      const onError = vi.fn<BusErrorHandler>();
      const local = bus(url, { onError, timeoutMs: 300 });
      let gaps = 0;
      local.onGap(() => gaps++);
      const channel = uniqueChannel();
      await local.subscribe(channel, () => {});

      // A frozen server keeps its connections open but answers nothing.
      server.kill('SIGSTOP');
      try {
        const took = await timed(() => expect(local.publish(channel, 'unanswered')).rejects.toThrow(/timed out/));
        expect(took).toBeLessThan(2_000);
        const received = collector();
        const lateChannel = uniqueChannel('late');
        expect(await timed(() => local.subscribe(lateChannel, received.handler))).toBeLessThan(2_000);
        expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(/did not answer SUBSCRIBE/) }), {
          source: 'connection',
        });

        server.kill('SIGCONT');
        await vi.waitFor(() => expect(gaps).toBe(1), { timeout: 10_000 });
        await local.publish(lateChannel, 'end');
        await untilEnd(received);
      } finally {
        server.kill('SIGCONT');
      }
      await stop(server, 'SIGKILL');
    });

    it('notices a silent subscriber connection by its heartbeat and reports the gap', { timeout: 30_000 }, async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      const server = await spawnRedis(port);
      const onError = vi.fn<BusErrorHandler>();
      const local = bus(url, { onError, timeoutMs: 300, heartbeatMs: 100 });
      let gaps = 0;
      local.onGap(() => gaps++);
      const channel = uniqueChannel();
      const received = collector();
      await local.subscribe(channel, received.handler);

      // Nothing is sent or subscribed meanwhile: only the heartbeat can tell the connection is dead.
      server.kill('SIGSTOP');
      try {
        await vi.waitFor(
          () =>
            expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: expect.stringMatching(/did not answer PING/) }), {
              source: 'connection',
            }),
          { timeout: 5_000 },
        );
      } finally {
        server.kill('SIGCONT');
      }
      await vi.waitFor(() => expect(gaps).toBe(1), { timeout: 10_000 });
      await local.publish(channel, 'end');
      await untilEnd(received);
      await stop(server, 'SIGKILL');
    });
  });
});
