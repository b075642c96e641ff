// Child processes for test harnesses, benchmarks and the cluster supervisor: started, awaited
// and stopped by PID, the same way everywhere. Also the one way to start the shop's own server
// (shop.ts), a private redis-server (redis.ts) or Sentinel group (sentinel.ts), private PostgreSQL
// servers and streaming replicas (postgres.ts), and the repository's root.
export { reachableByOthers } from './access.ts';
export { CHROMIUM, chromiumOptions } from './chromium.ts';
export { freePort, freePorts, type PortRange, portIsFree } from './ports.ts';
export { type PostgresOptions, type PostgresServer, postgresBin, startPostgres, startReplica } from './postgres.ts';
export { hasExited, type SpawnTrackedOptions, spawnTracked, stop, stopAll, track } from './process.ts';
export { type RedisServer, type RedisTarget, spawnRedis, startRedis, startRedisServer, withRedis } from './redis.ts';
export { repoRoot } from './repo.ts';
export { clientNames, type SentinelGroup, type SentinelGroupOptions, startSentinelGroup } from './sentinel.ts';
export {
  exitOfShopInstance,
  type InstanceEnv,
  SERVER_NODE_FLAGS,
  type ShopInstance,
  type ShopInstanceOptions,
  serverDir,
  serverMain,
  shopInstance,
  startShopInstance,
} from './shop.ts';
export { sleep, type WaitOptions, waitFor, waitForHttp, waitForPort } from './wait.ts';
