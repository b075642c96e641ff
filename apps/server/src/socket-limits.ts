// What one WebSocket may ask of the server, and the refusals past it.
import { TRPCError } from '@trpc/server';

export interface SocketLimits {
  /** Calls a socket may send at once (a token bucket's size)... */
  burst: number;
  /** ...and how many more it earns per second. */
  perSecond: number;
  /** Subscriptions open at the same time. */
  subscriptions: number;
}

/** Production defaults: far above what the SPA sends (a few calls a minute, a handful of streams). */
export const SOCKET_LIMITS: SocketLimits = { burst: 50, perSecond: 20, subscriptions: 50 };

/**
 * A socket's call-rate bucket: calls it may still send, refilled lazily from `refilledAt`. Two
 * fields of the connection, not an object of its own.
 */
export interface CallBucket {
  tokens: number;
  refilledAt: number;
}

/** Takes one call from the bucket; false when it is empty. */
export function takeCall(bucket: CallBucket, { burst, perSecond }: SocketLimits): boolean {
  const now = performance.now();
  bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) * perSecond) / 1000);
  bucket.refilledAt = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens--;
  return true;
}

export const tooManyCalls = (): TRPCError =>
  new TRPCError({ code: 'TOO_MANY_REQUESTS', message: 'too many calls on this connection; slow down' });

/** More calls in one message than the socket may send at once: one refusal for the whole message. */
export const tooManyInOneMessage = ({ burst }: SocketLimits): TRPCError =>
  new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `at most ${burst} calls in one message` });

/** The refusal of a new subscription once the socket has as many open as it may. */
export function subscriptionCapRefusal(open: number, { subscriptions: max }: SocketLimits): TRPCError | null {
  if (open < max) return null;
  return new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `at most ${max} open subscriptions per connection; stop one first` });
}
