// A Redis primary, its replica and three Sentinels on 127.0.0.1, each on a free port, sharing one
// private folder, with timeouts short enough that a failover takes seconds: for tests of clients
// that must follow one.
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, type PortRange } from './ports.ts';
import { stop } from './process.ts';
import { spawnRedis, spawnRedisWith } from './redis.ts';
import { waitFor } from './wait.ts';

export interface SentinelGroupOptions {
  /** The name the Sentinels monitor the primary under; default `mymaster`. */
  masterName?: string;
  /** AUTH password of the primary and the replica (their requirepass and masterauth). */
  password?: string;
  /** AUTH password of the Sentinels (their requirepass, also used between them). */
  sentinelPassword?: string;
  /** How long the primary may stay silent before a Sentinel counts it down; default 1000 ms. */
  downAfterMs?: number;
  /** Sentinel's failover-timeout; default 5000 ms. */
  failoverTimeoutMs?: number;
  ports?: PortRange;
}

export interface SentinelGroup {
  readonly masterName: string;
  readonly sentinels: readonly { host: string; port: number }[];
  /** The data servers' ports: the first primary, then its replica. */
  readonly servers: readonly [number, number];
  /** SIGKILL of the data server on `port`, by PID. */
  kill(port: number): Promise<void>;
  /** The primary's port as every Sentinel reports it, once they agree. */
  primaryPort(): Promise<number>;
  /** Resolves once every Sentinel names `port` the primary and that server's ROLE says so too. */
  waitForPrimary(port: number, timeoutMs?: number): Promise<void>;
  /** Runs `fn` on a fresh connection to the group's server or Sentinel on `port` (with its password), then closes it. */
  query<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T>;
  /** Stops every process of the group by PID and removes its folder. */
  stop(): Promise<void>;
}

/** Runs `fn` on a fresh connection that gives up at once rather than retrying. */
async function withRedis<T>(port: number, password: string | undefined, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    ...(password ? { password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** SENTINEL MASTER's flat field list as an object. */
function fields(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i] as string] = list[i + 1] as string;
  return out;
}

/** A primary, a replica of it and three Sentinels (quorum 2) watching them, all discovered by each other. */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const { masterName = 'mymaster', password, sentinelPassword, downAfterMs = 1_000, failoverTimeoutMs = 5_000 } = options;
  const dir = await mkdtemp(join(tmpdir(), 'shop-sentinel-'));
  const children: ChildProcess[] = [];
  const byPort = new Map<number, ChildProcess>();
  const auth = password ? ['--requirepass', password, '--masterauth', password] : [];
  const stopGroup = async () => {
    await Promise.all(children.map((child) => stop(child, 'SIGKILL')));
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const primaryPort = await freePort(options.ports);
    const replicaPort = await freePort(options.ports);
    // Each server its own folder: a replica writes the primary's snapshot there at its first sync.
    const server = async (port: number, extra: string[]) => {
      const folder = join(dir, `redis-${port}`);
      await mkdir(folder);
      // No 5 s wait for more replicas before the first (diskless) sync.
      const child = await spawnRedis(port, ['--dir', folder, '--repl-diskless-sync-delay', '0', ...auth, ...extra]);
      children.push(child);
      byPort.set(port, child);
    };
    await server(primaryPort, []);
    await server(replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]);
    await waitFor(
      () => withRedis(replicaPort, password, async (r) => (await r.info('replication')).includes('master_link_status:up')),
      'the replica to sync with the primary',
      { timeoutMs: 30_000 },
    );

    const sentinels: { host: string; port: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort(options.ports);
      // Sentinel rewrites its configuration file as it learns, so each has a writable one of its own.
      const conf = join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
          `sentinel parallel-syncs ${masterName} 1`,
          ...(password ? [`sentinel auth-pass ${masterName} ${password}`] : []),
          ...(sentinelPassword ? [`requirepass ${sentinelPassword}`] : []),
          '',
        ].join('\n'),
      );
      children.push(await spawnRedisWith([conf, '--sentinel'], port));
      sentinels.push({ host: '127.0.0.1', port });
    }

    const askSentinels = (fn: (redis: Redis) => Promise<unknown>) =>
      Promise.all(sentinels.map((s) => withRedis(s.port, sentinelPassword, fn)));
    await waitFor(
      async () => {
        const masters = (await askSentinels((r) => r.call('SENTINEL', 'MASTER', masterName))).map(fields);
        return masters.every((m) => m['num-slaves'] === '1' && m['num-other-sentinels'] === '2');
      },
      'the Sentinels to find the replica and each other',
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const primaryPortNow = async () => {
      const replies = await askSentinels((r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName));
      const ports = new Set(replies.map((reply) => Number((reply as string[])[1])));
      if (ports.size !== 1) throw new Error(`the Sentinels disagree on the primary: ${[...ports].join(', ')}`);
      return [...ports][0] as number;
    };

    return {
      masterName,
      sentinels,
      servers: [primaryPort, replicaPort],
      async kill(port) {
        const child = byPort.get(port);
        if (!child) throw new Error(`no data server of this group on port ${port}`);
        await stop(child, 'SIGKILL');
      },
      primaryPort: primaryPortNow,
      async waitForPrimary(port, timeoutMs = 30_000) {
        await waitFor(
          async () =>
            (await primaryPortNow()) === port &&
            (await withRedis(port, password, async (r) => ((await r.call('ROLE')) as string[])[0] === 'master')),
          `the Sentinels to promote the server on port ${port}`,
          { timeoutMs, intervalMs: 100 },
        );
      },
      query: (port, fn) => withRedis(port, sentinels.some((s) => s.port === port) ? sentinelPassword : password, fn),
      stop: stopGroup,
    };
  } catch (error) {
    await stopGroup();
    throw error;
  }
}
