import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitRule {
  /** Distinguishes counters of different rules in the shared store. */
  name: string;
  /** Attempts allowed per window. */
  points: number;
  windowS: number;
  /** How long a key stays refused once it ran out; defaults to the rest of its window. */
  blockS?: number;
}

export interface RateLimiter {
  /** Counts one attempt; false once the key has used up its window. */
  consume(key: string): Promise<{ allowed: boolean; retryAfterMs: number }>;
  /** Whether the key is refused right now, without counting an attempt. */
  isBlocked(key: string): Promise<{ blocked: boolean; retryAfterMs: number }>;
  /** Gives one counted attempt back (one that turned out fine). */
  reward(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

/**
 * Counters live in Redis when one is given, so every instance enforces one limit; otherwise in
 * this process. If Redis fails, a per-process counter stands in rather than letting everything through.
 */
export function createRateLimiter(rule: RateLimitRule, redis?: Redis): RateLimiter {
  const options = { keyPrefix: `rl:${rule.name}`, points: rule.points, duration: rule.windowS, blockDuration: rule.blockS ?? 0 };
  const memory = new RateLimiterMemory(options);
  const limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;

  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return { allowed: true, retryAfterMs: 0 };
      } catch (error) {
        if (error instanceof RateLimiterRes) return { allowed: false, retryAfterMs: error.msBeforeNext };
        throw error;
      }
    },
    async isBlocked(key) {
      const res = await limiter.get(key);
      const blocked = res !== null && res.consumedPoints >= rule.points;
      return { blocked, retryAfterMs: blocked ? res.msBeforeNext : 0 };
    },
    async reward(key) {
      await limiter.reward(key, 1);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}
