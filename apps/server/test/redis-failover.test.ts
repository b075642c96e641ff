// Two shop instances that find Redis through three Sentinels (REDIS_SENTINELS), under chat load
// over their WebSockets, while the Redis primary is SIGKILLed: every message whose send succeeded
// reaches every subscriber exactly once, and the instances move to the promoted replica.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type SentinelGroup, sleep, startSentinelGroup, waitForHttp } from '@shop/proc';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { clients, register, type ShopInstance, startInstance, stopAll } from './harness.ts';

const PASSWORDS = { REDIS_PASSWORD: 'data-password-for-tests', REDIS_SENTINEL_PASSWORD: 'sentinel-password-for-tests' };
const TALKERS = 6;
const READERS = 4;

let db: TestDatabase;
let group: SentinelGroup;
let a: ShopInstance;
let b: ShopInstance;
const open: { socket: { close(): void } }[] = [];

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  group = await startSentinelGroup({ password: PASSWORDS.REDIS_PASSWORD, sentinelPassword: PASSWORDS.REDIS_SENTINEL_PASSWORD });
  const env = {
    DATABASE_URL: db.url,
    REDIS_SENTINELS: group.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_NAME: group.masterName,
    ...PASSWORDS,
    SESSION_SECRET: 'redis-failover-test-secret-0123456789abcdef',
  };
  [a, b] = await Promise.all([startInstance('a', env), startInstance('b', env)]);
}, 120_000);
afterAll(async () => {
  for (const client of open) client.socket.close();
  await stopAll();
  await group?.stop();
  await db?.drop();
});

/** A lobby subscriber over an instance's WebSocket, from the first message on. */
async function listen(base: string, cookie: string): Promise<number[]> {
  const client = clients(base, cookie);
  open.push(client);
  const ids: number[] = [];
  await new Promise<void>((resolve, reject) => {
    client.live.chat.onMessage.subscribe(
      { roomId: 'lobby', lastEventId: 0 },
      { onStarted: () => resolve(), onData: (event) => ids.push(event.data.id), onError: reject },
    );
  });
  return ids;
}

/** A shopper chatting over an instance's WebSocket until `talking()` turns false; ids of the sends that succeeded go to `sent`. */
async function talk(base: string, cookie: string, name: string, talking: () => boolean, sent: number[], failures: string[]) {
  const client = clients(base, cookie);
  open.push(client);
  for (let i = 1; talking(); i++) {
    const input = { roomId: 'lobby', text: `${name} #${i}`, clientId: randomUUID() };
    // A send that failed is retried with its clientId: stored once, however many replies were lost.
    for (let attempt = 1; ; attempt++) {
      try {
        sent.push((await client.live.chat.send.mutate(input)).id);
        break;
      } catch (error) {
        failures.push(`${name} #${i}: ${(error as Error).message}`);
        if (attempt === 20) throw error;
        await sleep(250);
      }
    }
    // Under the flood limit of 10 messages per 10 s per shopper.
    await sleep(1_100);
  }
}

async function clientNames(redis: Redis): Promise<string[]> {
  const list = String(await redis.call('CLIENT', 'LIST'));
  return [...list.matchAll(/ name=(\S+) /g)]
    .map((m) => m[1] as string)
    .filter((name) => !name.startsWith('sentinel-'))
    .sort();
}

describe('Redis failover through Sentinel', () => {
  it('delivers every sent chat message exactly once while the primary is SIGKILLed, and the instances follow the promoted replica', async () => {
    const instances = [a, b];
    const on = (i: number) => (instances[i % 2] as ShopInstance).url;
    const readers = await Promise.all(Array.from({ length: READERS }, (_, i) => register(on(i), `reader${i}`)));
    const received = await Promise.all(readers.map((cookie, i) => listen(on(i), cookie)));
    const talkers = await Promise.all(Array.from({ length: TALKERS }, (_, i) => register(on(i), `talker${i}`)));

    const sent: number[] = [];
    const failures: string[] = [];
    let talking = true;
    const load = talkers.map((cookie, i) => talk(on(i), cookie, `talker${i}`, () => talking, sent, failures));

    await sleep(3_000);
    const [primary, replica] = group.servers;
    expect(await group.primaryPort()).toBe(primary);
    const killed = performance.now();
    await group.kill(primary);
    await group.waitForPrimary(replica);
    const promotedMs = performance.now() - killed;

    // Both instances on the new primary: each bus's two connections and each rate-limit client,
    // and each bus subscribed to the lobby there.
    await vi.waitFor(
      () =>
        group.query(replica, async (redis) => {
          expect(await clientNames(redis)).toEqual(['bus:pub', 'bus:pub', 'bus:sub', 'bus:sub', 'limits', 'limits']);
          expect((await redis.pubsub('NUMSUB', 'chat:lobby'))[1]).toBe(2);
        }),
      { timeout: 15_000, interval: 200 },
    );
    const followedMs = performance.now() - killed;
    await Promise.all(instances.map((instance) => waitForHttp(`${instance.url}/ready`, `${instance.name} ready`, { timeoutMs: 10_000 })));
    await sleep(3_000);
    talking = false;
    await Promise.all(load);

    // Over the bus, not the streams' periodic catch-up (every 15 s): a message sent now arrives in seconds.
    const lastSent = performance.now();
    const last = await clients(a.url, talkers[0] as string).http.chat.send.mutate({ roomId: 'lobby', text: 'after the failover' });
    sent.push(last.id);
    await vi.waitFor(() => expect(received.every((ids) => ids.includes(last.id))).toBe(true), { timeout: 5_000, interval: 20 });
    const lastDeliveryMs = performance.now() - lastSent;

    const inOrder = [...sent].sort((x, y) => x - y);
    expect(new Set(sent).size).toBe(sent.length);
    await vi
      .waitFor(() => expect(received.every((ids) => ids.length >= sent.length)).toBe(true), { timeout: 20_000, interval: 100 })
      .catch(() => {});
    for (const ids of received) expect(ids).toEqual(inOrder);
    console.log(
      `[redis failover] ${sent.length} messages to ${READERS} subscribers, ${failures.length} failed attempts; ` +
        `promoted after ${Math.round(promotedMs)} ms, both instances on it after ${Math.round(followedMs)} ms; ` +
        `last message delivered in ${Math.round(lastDeliveryMs)} ms`,
    );
  }, 90_000);
});
