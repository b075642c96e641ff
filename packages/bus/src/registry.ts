import { type BusErrorHandler, type BusHandler, reportSafely } from './bus.ts';

/** One `subscribe()` call: registering the same function twice gives two independent entries. */
export interface Subscription {
  readonly channel: string;
  readonly handler: BusHandler;
  /** False once unsubscribed or the bus closed, so messages already on their way skip it. */
  active: boolean;
}

/**
 * Local handlers per channel, shared by both implementations: reference counting, fan-out and
 * error isolation. It holds no messages, only the handlers.
 */
export class HandlerRegistry {
  readonly #channels = new Map<string, Set<Subscription>>();
  readonly #onError: BusErrorHandler;
  #handlers = 0;
  #delivered = 0;

  constructor(onError: BusErrorHandler) {
    this.#onError = onError;
  }

  /** Adds a handler; `first` when the channel had none (so the transport must subscribe). */
  add(channel: string, handler: BusHandler): { subscription: Subscription; first: boolean } {
    let set = this.#channels.get(channel);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    const subscription: Subscription = { channel, handler, active: true };
    set.add(subscription);
    this.#handlers++;
    return { subscription, first };
  }

  /** Removes a handler; true when it was the channel's last (so the transport may unsubscribe). Idempotent. */
  remove(subscription: Subscription): boolean {
    if (!subscription.active) return false;
    subscription.active = false;
    const set = this.#channels.get(subscription.channel);
    if (!set?.delete(subscription)) return false;
    this.#handlers--;
    if (set.size > 0) return false;
    this.#channels.delete(subscription.channel);
    return true;
  }

  has(channel: string): boolean {
    return this.#channels.has(channel);
  }

  /** The channel's handlers now; a copy, so handlers may (un)subscribe while it is delivered to. */
  targets(channel: string): Subscription[] {
    const set = this.#channels.get(channel);
    return set ? [...set] : [];
  }

  /** Calls every still-active target; one that throws is reported and the rest still get the message. */
  deliver(targets: readonly Subscription[], message: string): void {
    for (const subscription of targets) {
      if (!subscription.active) continue;
      this.#delivered++;
      try {
        subscription.handler(message);
      } catch (error) {
        reportSafely(this.#onError, error, { source: 'handler', channel: subscription.channel });
      }
    }
  }

  channelNames(): string[] {
    return [...this.#channels.keys()];
  }

  /** Deactivates everything (bus closed). */
  clear(): void {
    for (const set of this.#channels.values()) for (const subscription of set) subscription.active = false;
    this.#channels.clear();
    this.#handlers = 0;
  }

  counts(): { channels: number; handlers: number; delivered: number } {
    return { channels: this.#channels.size, handlers: this.#handlers, delivered: this.#delivered };
  }
}

/** Listeners for `onGap`, each called in isolation. */
export class GapListeners {
  readonly #listeners = new Set<() => void>();
  readonly #onError: BusErrorHandler;

  constructor(onError: BusErrorHandler) {
    this.#onError = onError;
  }

  add(listener: () => void): () => void {
    // A wrapper per call, so adding the same function twice needs two removals, as with handlers.
    const entry = () => listener();
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener();
      } catch (error) {
        reportSafely(this.#onError, error, { source: 'gap-listener' });
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
