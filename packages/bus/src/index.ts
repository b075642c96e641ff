export {
  type Bus,
  BusClosedError,
  type BusErrorContext,
  type BusErrorHandler,
  type BusHandler,
  type BusOptions,
  type BusStats,
  BusUnavailableError,
} from './bus.ts';
export { connectRedis, describeRedis, type RedisConnection, type SentinelAddress } from './connection.ts';
export { type CreateBusOptions, createBus } from './create-bus.ts';
export { createMemoryBus } from './memory.ts';
export { createRedisBus, type RedisBusOptions } from './redis.ts';
