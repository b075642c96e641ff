export type BusHandler = (message: string) => void;

/**
 * Carries live events (chat messages, order status changes) to every subscriber in every process.
 * At most once: a message may be lost while the transport is down, so subscribers treat the
 * database as the truth and back-fill when `onGap` fires.
 */
export interface Bus {
  /** Delivers `message` to every subscriber of `channel` in every process (at most once; may be lost while the transport is down — subscribers back-fill from the database). */
  publish(channel: string, message: string): Promise<void>;
  /** Registers a handler; resolves once the subscription is active (so a publish after it is received). Returns an unsubscribe function. */
  subscribe(channel: string, handler: BusHandler): Promise<() => Promise<void>>;
  /** Called whenever delivery may have had a gap (the Redis subscriber connection was re-established); subscribers then back-fill. Returns a function removing the listener. */
  onGap(listener: () => void): () => void;
  /** Counters for metrics. */
  stats(): BusStats;
  close(): Promise<void>;
}

export interface BusStats {
  /** Channels with at least one local handler. */
  channels: number;
  /** Local handlers over all channels. */
  handlers: number;
  /** Messages this bus handed to its transport. */
  published: number;
  /** Handler calls (one message reaching two handlers counts twice), including ones that threw. */
  delivered: number;
}

export interface BusErrorContext {
  /** `handler`/`gap-listener`: subscriber code threw; `connection`: Redis reported a problem. */
  source: 'handler' | 'gap-listener' | 'connection';
  channel?: string;
}

export type BusErrorHandler = (error: unknown, context: BusErrorContext) => void;

export interface BusOptions {
  /** Where errors go that no caller can receive; defaults to console.error. */
  onError?: BusErrorHandler | undefined;
  /**
   * Called once per message this process receives for local handlers, with the milliseconds since
   * it was published (for a delivery-lag metric). Across hosts this includes their clock skew.
   */
  onDelivery?: ((lagMs: number) => void) | undefined;
}

/**
 * Wire format: the publish time travels in front of the message, so the receiving process can
 * measure delivery lag. A message without it (published by older code) is delivered unchanged.
 */
const STAMP = '\u0001';

export function stampMessage(message: string, now = Date.now()): string {
  return `${STAMP}${now}${STAMP}${message}`;
}

export function unstampMessage(raw: string): { message: string; publishedAt: number | null } {
  if (!raw.startsWith(STAMP)) return { message: raw, publishedAt: null };
  const end = raw.indexOf(STAMP, 1);
  const publishedAt = end > 1 ? Number(raw.slice(1, end)) : Number.NaN;
  if (!Number.isFinite(publishedAt)) return { message: raw, publishedAt: null };
  return { message: raw.slice(end + 1), publishedAt };
}

export class BusClosedError extends Error {
  constructor() {
    super('The bus is closed');
    this.name = 'BusClosedError';
  }
}

/** Redis could not take the message (down or reconnecting); it is dropped, subscribers back-fill later. */
export class BusUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BusUnavailableError';
  }
}

export const defaultOnError: BusErrorHandler = (error, context) => {
  console.error(`[bus] ${context.source}${context.channel === undefined ? '' : ` on ${context.channel}`}:`, error);
};

/** Calls `onError` so that a throwing reporter cannot break delivery either. */
export function reportSafely(onError: BusErrorHandler, error: unknown, context: BusErrorContext): void {
  try {
    onError(error, context);
  } catch {
    // Nothing left to report to; delivery to the other handlers matters more.
  }
}
