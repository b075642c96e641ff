import type { Bus, BusOptions } from './bus.ts';
import type { RedisConnection } from './connection.ts';
import { createMemoryBus } from './memory.ts';
import { createRedisBus } from './redis.ts';

export interface CreateBusOptions extends BusOptions {
  /** Several instances share one Redis; without it the bus only reaches this process. */
  redis?: RedisConnection | undefined;
  /** Connection name prefix for Redis (see RedisBusOptions). */
  name?: string | undefined;
}

/** Redis when one is given (several instances), else in-process (the single-instance default). */
export function createBus(options: CreateBusOptions): Bus {
  const { redis, ...rest } = options;
  return redis ? createRedisBus({ ...rest, redis }) : createMemoryBus(rest);
}
