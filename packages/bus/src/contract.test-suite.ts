import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Bus, BusClosedError, type BusErrorHandler, type BusHandler } from './bus.ts';

export type BusFactory = (options: { onError: BusErrorHandler }) => Bus | Promise<Bus>;

/** A handler recording what it received. */
export function collector(): { handler: BusHandler; messages: string[] } {
  const messages: string[] = [];
  return { handler: (message) => messages.push(message), messages };
}

export const uniqueChannel = (label = 'c') => `test:${label}:${randomUUID()}`;

/**
 * Waits until every collector got its `end` marker. Messages of one publisher arrive in order, so
 * anything published before the markers has arrived by then, including deliveries that should not
 * have happened.
 */
export async function untilEnd(...collectors: { messages: string[] }[]): Promise<void> {
  await vi.waitFor(() => {
    for (const { messages } of collectors) expect(messages.at(-1)).toBe('end');
  });
}

/** The behaviour every Bus implementation shares; run by each implementation's test file. */
export function busContract(name: string, factory: BusFactory): void {
  describe(`${name} bus: shared contract`, () => {
    const open: Bus[] = [];
    const onError = vi.fn<BusErrorHandler>();
    const create = async () => {
      const bus = await factory({ onError });
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.close()));
      onError.mockClear();
    });

    it('delivers to every handler of the channel and to no other channel', async () => {
      const bus = await create();
      const [a, b] = [uniqueChannel('a'), uniqueChannel('b')];
      const [a1, a2, b1] = [collector(), collector(), collector()];
      await bus.subscribe(a, a1.handler);
      await bus.subscribe(a, a2.handler);
      await bus.subscribe(b, b1.handler);

      await bus.publish(a, 'for a');
      await bus.publish(b, 'for b');
      await bus.publish(uniqueChannel('nobody'), 'for nobody');
      await bus.publish(a, 'end');
      await bus.publish(b, 'end');
      await untilEnd(a1, a2, b1);

      expect(a1.messages).toEqual(['for a', 'end']);
      expect(a2.messages).toEqual(['for a', 'end']);
      expect(b1.messages).toEqual(['for b', 'end']);
      expect(onError).not.toHaveBeenCalled();
    });

    it('never runs handlers on the publisher’s stack', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      const received = collector();
      await bus.subscribe(channel, received.handler);

      const publishing = bus.publish(channel, 'end');
      expect(received.messages).toEqual([]);
      await publishing;
      await untilEnd(received);
    });

    it('keeps the order of one publisher’s messages, even when they are sent without waiting', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      const received = collector();
      await bus.subscribe(channel, received.handler);

      const sent = [...Array.from({ length: 200 }, (_, i) => `m${i}`), 'end'];
      await Promise.all(sent.map((message) => bus.publish(channel, message)));
      await untilEnd(received);

      expect(received.messages).toEqual(sent);
    });

    it('stops delivering to an unsubscribed handler and keeps the channel for the others', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      const [first, second, later] = [collector(), collector(), collector()];
      const unsubscribeFirst = await bus.subscribe(channel, first.handler);
      const unsubscribeSecond = await bus.subscribe(channel, second.handler);

      await unsubscribeFirst();
      expect(bus.stats()).toMatchObject({ channels: 1, handlers: 1 });
      await bus.publish(channel, 'end');
      await untilEnd(second);
      expect(first.messages).toEqual([]);

      // Idempotent: a second call must not take another handler with it.
      await unsubscribeFirst();
      expect(bus.stats()).toMatchObject({ channels: 1, handlers: 1 });

      await unsubscribeSecond();
      expect(bus.stats()).toMatchObject({ channels: 0, handlers: 0 });

      // The channel works again after its last handler left (re-subscribed on the transport).
      await bus.subscribe(channel, later.handler);
      await bus.publish(channel, 'again');
      await bus.publish(channel, 'end');
      await untilEnd(later);
      expect(later.messages).toEqual(['again', 'end']);
      expect(first.messages).toEqual([]);
      expect(second.messages).toEqual(['end']);
    });

    it('treats the same function subscribed twice as two subscriptions', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      const received = collector();
      const unsubscribeOne = await bus.subscribe(channel, received.handler);
      await bus.subscribe(channel, received.handler);

      await bus.publish(channel, 'end');
      await vi.waitFor(() => expect(received.messages).toEqual(['end', 'end']));
      await unsubscribeOne();
      expect(bus.stats()).toMatchObject({ channels: 1, handlers: 1 });
      await bus.publish(channel, 'once');
      await bus.publish(channel, 'end');
      await vi.waitFor(() => expect(received.messages).toEqual(['end', 'end', 'once', 'end']));
    });

    it('reports a throwing handler and still delivers to the others, and to it again later', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      const failure = new Error('handler broke');
      const throwing = vi.fn<BusHandler>(() => {
        throw failure;
      });
      const [before, after] = [collector(), collector()];
      await bus.subscribe(channel, before.handler);
      await bus.subscribe(channel, throwing);
      await bus.subscribe(channel, after.handler);

      await bus.publish(channel, 'one');
      await bus.publish(channel, 'end');
      await untilEnd(before, after);

      expect(before.messages).toEqual(['one', 'end']);
      expect(after.messages).toEqual(['one', 'end']);
      expect(throwing).toHaveBeenCalledTimes(2);
      expect(onError).toHaveBeenCalledTimes(2);
      expect(onError).toHaveBeenCalledWith(failure, { source: 'handler', channel });
    });

    it('counts channels, handlers, published messages and deliveries', async () => {
      const bus = await create();
      expect(bus.stats()).toEqual({ channels: 0, handlers: 0, published: 0, delivered: 0 });
      const [a, b] = [uniqueChannel('a'), uniqueChannel('b')];
      const [a1, a2, b1] = [collector(), collector(), collector()];
      await bus.subscribe(a, a1.handler);
      await bus.subscribe(a, a2.handler);
      await bus.subscribe(b, b1.handler);
      expect(bus.stats()).toEqual({ channels: 2, handlers: 3, published: 0, delivered: 0 });

      await bus.publish(a, 'end');
      await bus.publish(b, 'end');
      await bus.publish(uniqueChannel('nobody'), 'unheard');
      await untilEnd(a1, a2, b1);

      expect(bus.stats()).toEqual({ channels: 2, handlers: 3, published: 3, delivered: 3 });
    });

    it('refuses publish and subscribe once closed, and closes idempotently', async () => {
      const bus = await create();
      const channel = uniqueChannel();
      await bus.subscribe(channel, () => {});
      await bus.close();

      expect(bus.stats()).toMatchObject({ channels: 0, handlers: 0 });
      await expect(bus.publish(channel, 'late')).rejects.toBeInstanceOf(BusClosedError);
      await expect(bus.subscribe(channel, () => {})).rejects.toBeInstanceOf(BusClosedError);
      await expect(bus.close()).resolves.toBeUndefined();
    });
  });
}
