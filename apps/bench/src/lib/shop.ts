// The system under test: three shop instances behind Nginx (`startCluster` from @shop/nginx),
// plus a private redis-server. Without the cluster module it falls back to bare instances.
import { readdir, readFile } from 'node:fs/promises';
import { type ClusterInstance, ensureWebBuild, prefixPaths, startCluster } from '@shop/nginx';
import { type RedisServer, type ShopInstance, startRedis as startRedisIn, startShopInstance, waitFor } from '@shop/proc';
import { SESSION_SECRET } from './db.ts';
import { BENCH_PORTS, ports } from './ports.ts';
import { onCleanup } from './procs.ts';
import { log } from './progress.ts';

/** A private redis-server (the shared one on 6379 carries other people's tests), stopped on cleanup too. */
export async function startRedis(): Promise<RedisServer> {
  const server = await startRedisIn({ ports: BENCH_PORTS, args: ['--maxclients', '10000'] });
  const off = onCleanup(server.stop);
  return {
    ...server,
    async stop() {
      off();
      await server.stop();
    },
  };
}

export type { RedisServer };

export interface Shop {
  /** Where shoppers go: Nginx, or the first instance when there is no Nginx. */
  url: string;
  nginx: boolean;
  /** Why there is no Nginx, when there is none. */
  nginxProblem?: string;
  instances: ClusterInstance[];
  /** Nginx's master and worker processes (none without Nginx). */
  nginxPids(): Promise<number[]>;
  stop(): Promise<void>;
}

/** A process and its children (Linux /proc), e.g. Nginx's master and its workers. */
async function withChildren(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')));
  return [pid, ...children.flatMap((c) => c.split(' ').filter(Boolean).map(Number))];
}

export const instanceEnv = (): Record<string, string> => ({
  NODE_ENV: 'production',
  SESSION_SECRET,
  COOKIE_SECURE: 'false',
  SEED_PRODUCTS: '0',
});

/** One instance of `node apps/server/src/main.ts` as the benchmark runs them, ready when /ready answers 200. */
export const startInstance = (name: string, env: Record<string, string>): Promise<ShopInstance> =>
  startShopInstance({ name, ports: BENCH_PORTS, env: { ...instanceEnv(), ...env } });

export async function startShop(opts: {
  databaseUrl: string;
  redisUrl: string;
  instances?: number;
  env?: Record<string, string>;
}): Promise<Shop> {
  const count = opts.instances ?? 3;
  // BENCH_NO_NGINX measures the instances alone; so does a machine without Nginx (noted in the report).
  let nginxProblem = process.env.BENCH_NO_NGINX ? 'BENCH_NO_NGINX is set' : undefined;
  if (!nginxProblem)
    try {
      // Nginx serves the SPA: on a fresh checkout it is built first (once; later runs reuse it).
      await ensureWebBuild();
      const [httpPort, ...instancePorts] = await ports(count + 1);
      const cluster = await startCluster({
        instances: count,
        httpPort,
        instancePorts,
        databaseUrl: opts.databaseUrl,
        redisUrl: opts.redisUrl,
        env: { ...instanceEnv(), ...opts.env },
        // Every simulated client comes from 127.0.0.1: the per-IP limits would measure themselves.
        rateLimits: { requestsPerSecond: 1_000_000, burst: 1_000_000, authPerMinute: 1_000_000, authBurst: 1_000_000 },
      });
      const off = onCleanup(() => cluster.stop());
      return {
        url: cluster.url,
        nginx: true,
        instances: cluster.instances,
        async nginxPids() {
          const master = Number((await readFile(prefixPaths(cluster.dir).pid, 'utf8').catch(() => '')).trim());
          return master > 0 ? withChildren(master) : [];
        },
        async stop() {
          off();
          await cluster.stop();
        },
      };
    } catch (error) {
      nginxProblem = `startCluster failed: ${(error as Error).message}`;
      log(`${nginxProblem}; continuing with bare instances`);
    }
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startInstance(`i${i + 1}`, { DATABASE_URL: opts.databaseUrl, REDIS_URL: opts.redisUrl, ...opts.env }),
    ),
  );
  const stop = async () => {
    await Promise.all(started.map((instance) => instance.stop()));
  };
  const off = onCleanup(stop);
  return {
    url: started[0]?.url ?? '',
    nginx: false,
    ...(nginxProblem ? { nginxProblem } : {}),
    instances: started,
    nginxPids: async () => [],
    async stop() {
      off();
      await stop();
    },
  };
}

/** Resident memory of a process in bytes (Linux). */
export async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}

/**
 * Waits until every instance answers /ready (a database round trip through its pool) quickly:
 * a subscription reports "started" before its database work is done, so a burst of them leaves
 * work queued behind it.
 */
export async function settle(
  instances: ClusterInstance[],
  { via, timeoutMs = 60_000 }: { via?: string; timeoutMs?: number } = {},
): Promise<void> {
  const answersFast = async (url: string) => {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    return res.ok ? performance.now() - t0 : Number.POSITIVE_INFINITY;
  };
  // Through Nginx too: after an overload it may still hold instances as failed (max_fails) until
  // fail_timeout passes, answering 503 or sending everything to the rest, which is no measurement.
  const nginxReachesAll = async (url: string) => {
    const seen = new Set<string>();
    for (let i = 0; i < 2 * instances.length; i++) {
      const res = await fetch(`${url}/trpc/auth.me`);
      await res.arrayBuffer();
      if (!res.ok) return false;
      seen.add(res.headers.get('x-instance') ?? '');
    }
    return instances.every((instance) => seen.has(instance.name));
  };
  await waitFor(
    async () => {
      const times = await Promise.all(instances.map((i) => answersFast(`${i.url}/ready`)));
      return times.every((t) => t < 100) && (!via || (await nginxReachesAll(via)));
    },
    'the instances to settle',
    { timeoutMs },
  ).catch(() => log('instances still busy after a minute; measuring anyway'));
}

/** CPU time (user + system) a process has used, in seconds (Linux). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
