// The production shape for scenarios: Nginx in front of three instances, on a database and a
// Redis of the test's own, every port in the suite's range.
import { type Cluster, startCluster } from '@shop/nginx';
import { freePort } from './ports.ts';

export const SESSION_SECRET = 'resilience-suite-session-secret-0123456789abcdef';

export async function shopCluster(options: {
  databaseUrl: string;
  redisUrl: string;
  seedProducts?: number;
  /** Nginx's per-IP limits; the load scenarios raise them so Nginx does not throttle the load itself. */
  rateLimits?: { requestsPerSecond: number; burst: number; authPerMinute: number; authBurst: number };
  env?: Record<string, string>;
}): Promise<Cluster> {
  const httpPort = await freePort();
  const instancePorts = [await freePort(), await freePort(), await freePort()];
  return startCluster({
    instances: 3,
    httpPort,
    instancePorts,
    databaseUrl: options.databaseUrl,
    redisUrl: options.redisUrl,
    env: { SEED_PRODUCTS: String(options.seedProducts ?? 20), SESSION_SECRET, ...options.env },
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  });
}

/** Limits high enough that only the instances' own rules (sign-in, chat flood) refuse anything. */
export const UNTHROTTLED = { requestsPerSecond: 5_000, burst: 5_000, authPerMinute: 6_000, authBurst: 1_000 };
