import type { Bus } from '@shop/bus';
import type { EndOn } from './publish.ts';

/** The listeners of one end channel: one bus subscription carries every session's message. */
interface EndListeners {
  ready: Promise<() => Promise<void>>;
  byMessage: Map<string, Set<() => void>>;
}

/**
 * Listeners for end messages on one bus, per channel: the revocation channel names the user, so
 * one subscription serves every session instead of one subscription per session. Owned by a
 * `LiveRegistry`.
 */
export class EndChannels {
  readonly #bus: Bus;
  readonly #channels = new Map<string, EndListeners>();

  constructor(bus: Bus) {
    this.#bus = bus;
  }

  /**
   * Calls `end` when `message` arrives on `channel`; resolves, once the shared subscription is live,
   * to the function that stops listening (the last listener of a channel unsubscribes it).
   */
  listen({ channel, message }: EndOn, end: () => void): Promise<() => Promise<void>> {
    const channels = this.#channels;
    let listeners = channels.get(channel);
    if (!listeners) {
      const byMessage = new Map<string, Set<() => void>>();
      const created: EndListeners = {
        byMessage,
        ready: this.#bus.subscribe(channel, (received) => {
          for (const listener of byMessage.get(received) ?? []) listener();
        }),
      };
      // A failed subscription is forgotten, so the next listener subscribes afresh.
      created.ready.catch(() => channels.get(channel) === created && channels.delete(channel));
      channels.set(channel, created);
      listeners = created;
    }
    const shared = listeners;
    const ends = shared.byMessage.get(message) ?? new Set();
    shared.byMessage.set(message, ends.add(end));
    const stop = async () => {
      ends.delete(end);
      if (ends.size === 0 && shared.byMessage.get(message) === ends) shared.byMessage.delete(message);
      if (shared.byMessage.size > 0 || channels.get(channel) !== shared) return;
      channels.delete(channel);
      await (await shared.ready)();
    };
    return shared.ready.then(
      () => stop,
      async (error: unknown) => {
        await stop().catch(() => {});
        throw error;
      },
    );
  }
}
