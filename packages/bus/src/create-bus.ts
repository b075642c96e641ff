import type { Bus, BusOptions } from './bus.ts';
import { createMemoryBus } from './memory.ts';
import { createRedisBus } from './redis.ts';

export interface CreateBusOptions extends BusOptions {
  /** Several instances share one Redis; without it the bus only reaches this process. */
  redisUrl?: string | undefined;
  /** Connection name prefix for Redis (see RedisBusOptions). */
  name?: string | undefined;
}

/** Redis when a URL is given (several instances), else in-process (the single-instance default). */
export function createBus(options: CreateBusOptions): Bus {
  const { redisUrl, ...rest } = options;
  return redisUrl ? createRedisBus({ ...rest, url: redisUrl }) : createMemoryBus(rest);
}
