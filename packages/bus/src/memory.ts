import { type Bus, BusClosedError, type BusOptions, defaultOnError, reportSafely } from './bus.ts';
import { GapListeners, HandlerRegistry } from './registry.ts';

/**
 * One process's bus, for the single-instance default (no Redis). Delivery is asynchronous, like
 * Redis: a publisher never runs subscriber code on its own stack. The handlers receiving a message
 * are the ones subscribed when it was published, minus any unsubscribed before it arrives.
 * There is no transport to lose, so `onGap` never fires.
 */
export function createMemoryBus(options: BusOptions = {}): Bus {
  const onError = options.onError ?? defaultOnError;
  const registry = new HandlerRegistry(onError);
  const gapListeners = new GapListeners(onError);
  let published = 0;
  let closed = false;

  return {
    async publish(channel, message) {
      if (closed) throw new BusClosedError();
      published++;
      const targets = registry.targets(channel);
      if (targets.length === 0) return;
      const publishedAt = performance.now();
      // One microtask per message keeps publish order; the message lives only until it runs.
      queueMicrotask(() => {
        try {
          options.onDelivery?.(performance.now() - publishedAt);
        } catch (error) {
          reportSafely(onError, error, { source: 'handler', channel });
        }
        registry.deliver(targets, message);
      });
    },

    async subscribe(channel, handler) {
      if (closed) throw new BusClosedError();
      const { subscription } = registry.add(channel, handler);
      return async () => {
        registry.remove(subscription);
      };
    },

    onGap(listener) {
      return closed ? () => {} : gapListeners.add(listener);
    },

    stats() {
      const { channels, handlers, delivered } = registry.counts();
      return { channels, handlers, published, delivered };
    },

    async close() {
      closed = true;
      registry.clear();
      gapListeners.clear();
    },
  };
}
