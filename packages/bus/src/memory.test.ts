import { describe, expect, it, vi } from 'vitest';
import { busContract, collector, uniqueChannel, untilEnd } from './contract.test-suite.ts';
import { createMemoryBus } from './memory.ts';

busContract('memory', (options) => createMemoryBus(options));

describe('memory bus', () => {
  it('does not deliver a message still on its way to a handler unsubscribed meanwhile', async () => {
    const bus = createMemoryBus();
    const channel = uniqueChannel();
    const [leaving, staying] = [collector(), collector()];
    const unsubscribe = await bus.subscribe(channel, leaving.handler);
    await bus.subscribe(channel, staying.handler);

    // Not awaited: the message is queued but not delivered when the handler leaves.
    const publishing = bus.publish(channel, 'end');
    await unsubscribe();
    await publishing;
    await untilEnd(staying);

    expect(leaving.messages).toEqual([]);
    await bus.close();
  });

  it('is confined to its process: two buses do not hear each other', async () => {
    const [one, two] = [createMemoryBus(), createMemoryBus()];
    const channel = uniqueChannel();
    const [onOne, onTwo] = [collector(), collector()];
    await one.subscribe(channel, onOne.handler);
    await two.subscribe(channel, onTwo.handler);

    await one.publish(channel, 'end');
    await untilEnd(onOne);

    expect(onTwo.messages).toEqual([]);
    await Promise.all([one.close(), two.close()]);
  });

  it('has no transport to lose, so onGap never fires; its remover is safe to call', async () => {
    const bus = createMemoryBus();
    const gap = vi.fn();
    const remove = bus.onGap(gap);
    const received = collector();
    await bus.subscribe(uniqueChannel(), received.handler);
    remove();
    remove();
    expect(gap).not.toHaveBeenCalled();
    await bus.close();
  });
});
