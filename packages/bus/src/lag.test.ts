import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bus, stampMessage, unstampMessage } from './bus.ts';
import { collector, uniqueChannel, untilEnd } from './contract.test-suite.ts';
import { createMemoryBus } from './memory.ts';
import { createRedisBus } from './redis.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const buses: Bus[] = [];
const lags: number[] = [];
const raw: Redis[] = [];
afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  for (const client of raw) client.disconnect();
});

describe('publish timestamps', () => {
  it('round-trip and leave unstamped messages alone', () => {
    expect(unstampMessage(stampMessage('{"a":1}', 1234))).toEqual({ message: '{"a":1}', publishedAt: 1234 });
    expect(unstampMessage('plain')).toEqual({ message: 'plain', publishedAt: null });
    expect(unstampMessage('\u0001not-a-time\u0001x')).toEqual({ message: '\u0001not-a-time\u0001x', publishedAt: null });
  });
});

describe.each([
  ['memory', () => createMemoryBus({ onDelivery: (ms) => lags.push(ms) })],
  [
    'redis',
    () => createRedisBus({ redis: { url: REDIS_URL }, name: 'bus-lag-test', onError: () => {}, onDelivery: (ms) => lags.push(ms) }),
  ],
])('%s bus delivery lag', (_name, create) => {
  it('reports one lag per delivered message and hands handlers the message unchanged', async () => {
    lags.length = 0;
    const bus = create();
    buses.push(bus);
    const channel = uniqueChannel();
    const [one, two] = [collector(), collector()];
    await bus.subscribe(channel, one.handler);
    await bus.subscribe(channel, two.handler);
    await bus.publish(channel, 'hello');
    await bus.publish(channel, 'end');
    await untilEnd(one, two);
    expect(one.messages).toEqual(['hello', 'end']);
    expect(two.messages).toEqual(['hello', 'end']);
    expect(lags).toHaveLength(2);
    for (const lag of lags) expect(lag).toBeGreaterThanOrEqual(0);
  });
});

describe('redis bus and messages published without a timestamp', () => {
  it('delivers them unchanged without reporting a lag', async () => {
    const lags: number[] = [];
    const bus = createRedisBus({ redis: { url: REDIS_URL }, name: 'bus-lag-raw', onError: () => {}, onDelivery: (ms) => lags.push(ms) });
    buses.push(bus);
    const publisher = new Redis(REDIS_URL);
    raw.push(publisher);
    const channel = uniqueChannel();
    const received = collector();
    await bus.subscribe(channel, received.handler);
    await publisher.publish(channel, 'old format');
    await publisher.publish(channel, 'end');
    await untilEnd(received);
    expect(received.messages).toEqual(['old format', 'end']);
    expect(lags).toEqual([]);
  });
});
