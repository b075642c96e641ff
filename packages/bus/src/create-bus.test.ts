import { afterAll, describe, expect, it } from 'vitest';
import type { Bus } from './bus.ts';
import { collector, uniqueChannel, untilEnd } from './contract.test-suite.ts';
import { createBus } from './create-bus.ts';

const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const buses: Bus[] = [];
afterAll(() => Promise.all(buses.map((bus) => bus.close())));

/** Whether a message published on one bus reaches a second one made by the same options. */
async function sharedBetweenInstances(options: Parameters<typeof createBus>[0]): Promise<boolean> {
  const [one, two] = [createBus(options), createBus(options)];
  buses.push(one, two);
  const channel = uniqueChannel();
  const [onOne, onTwo] = [collector(), collector()];
  await one.subscribe(channel, onOne.handler);
  await two.subscribe(channel, onTwo.handler);
  await one.publish(channel, 'end');
  await untilEnd(onOne);
  // Two Redis buses are separate connections: give the second one the same chance to hear it.
  if (options.redis) await untilEnd(onTwo);
  return onTwo.messages.length > 0;
}

describe('createBus', () => {
  it('stays in the process without Redis', async () => {
    expect(await sharedBetweenInstances({})).toBe(false);
    expect(await sharedBetweenInstances({ redis: undefined })).toBe(false);
  });

  it('goes through Redis when given one', async () => {
    expect(await sharedBetweenInstances({ redis: { url: REDIS_URL }, onError: () => {} })).toBe(true);
  });
});
