import type { Bus } from '@shop/bus';

/**
 * A numbered event. Its producer numbers events densely per channel under a row lock (so the
 * numbers become visible in commit order) and publishes after commit: a stream that sees a number
 * skip ahead knows a publish was lost, and reads the rest from the database.
 */
export interface Sequenced<T> {
  seq: number;
  item: T;
}

/** A message on a channel that ends streams at once (see `revocation`). */
export interface EndOn {
  channel: string;
  message: string;
}

export const channels = {
  chat: (roomId: string) => `chat:${roomId}`,
  orders: (userId: string) => `orders:${userId}`,
  /** The staff dashboard's figures may have changed (an order, a status, stock, sockets): any message. */
  stats: 'stats',
};

/**
 * Sign-out: ends every live stream of the user, on every instance. One channel for all users,
 * the message names the user, so a process holds one subscription for it, not one per session.
 */
export const revocation = {
  publish: (bus: Bus, userId: string) => publishQuietly(bus, 'revoked', userId),
  endOn: (userId: string): EndOn => ({ channel: 'revoked', message: JSON.stringify(userId) }),
};

/** Publishes after commit. A failed publish loses nothing: subscribers back-fill from the database. */
export async function publishQuietly(bus: Bus, channel: string, payload: unknown, onError?: (error: unknown) => void): Promise<void> {
  try {
    await bus.publish(channel, JSON.stringify(payload));
  } catch (error) {
    onError?.(error);
  }
}
