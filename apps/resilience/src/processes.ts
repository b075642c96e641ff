// Processes this suite starts itself: shop instances and a private redis-server (@shop/proc's
// kit, on ports of the suite's range) and a private PostgreSQL, each restartable. Everything is
// stopped by PID (stopAll), also when a test fails.
import {
  exitOfShopInstance,
  type InstanceEnv,
  type PostgresServer,
  type RedisServer,
  type ShopInstance,
  startPostgres as startPostgresIn,
  startRedis as startRedisIn,
  startShopInstance,
} from '@shop/proc';
import { RESILIENCE_PORTS } from './ports.ts';

export { type PostgresServer, type ShopInstance, stopAll } from '@shop/proc';

/** One shop instance in test mode; `env` may leave a variable out by setting it to undefined. */
export const startInstance = (name: string, env: InstanceEnv): Promise<ShopInstance> =>
  startShopInstance({ name, ports: RESILIENCE_PORTS, env: { NODE_ENV: 'test', ...env }, readyTimeoutMs: 30_000 });

/** An instance that should refuse to start: its exit code and stderr (see exitOfShopInstance). */
export const exitOfInstance = (name: string, env: InstanceEnv) =>
  exitOfShopInstance(name, { NODE_ENV: 'test', ...env }, { ports: RESILIENCE_PORTS });

export interface Service {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of this suite's own, killed and started again at will. */
export const startRedis = (): Promise<RedisServer> => startRedisIn({ ports: RESILIENCE_PORTS });

/**
 * A PostgreSQL server of this suite's own (@shop/proc's, from initdb), so it can be stopped and
 * started while the shop runs; `stop()` is a fast shutdown: every connection is cut at once.
 */
export const startPostgres = (): Promise<PostgresServer> => startPostgresIn({ ports: RESILIENCE_PORTS });
