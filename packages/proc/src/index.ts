// Child processes for test harnesses, benchmarks and the cluster supervisor: started, awaited
// and stopped by PID, the same way everywhere.
export { reachableByOthers } from './access.ts';
export { CHROMIUM, chromiumOptions } from './chromium.ts';
export { freePort, freePorts, type PortRange, portIsFree } from './ports.ts';
export { hasExited, type SpawnTrackedOptions, spawnTracked, stop, stopAll, track } from './process.ts';
export { type RedisServer, spawnRedis, startRedisServer } from './redis.ts';
export { type WaitOptions, waitFor, waitForHttp, waitForPort } from './wait.ts';
