// Processes this suite starts itself: shop instances and a private redis-server (@shop/proc's
// kit, on ports of the suite's range) and a private PostgreSQL, each restartable. Everything is
// stopped by PID (stopAll), also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exitOfShopInstance,
  type InstanceEnv,
  type RedisServer,
  type ShopInstance,
  spawnTracked,
  startRedis as startRedisIn,
  startShopInstance,
  stop,
  waitFor,
} from '@shop/proc';
import pg from 'pg';
import { freePort, RESILIENCE_PORTS } from './ports.ts';

export { type ShopInstance, stopAll } from '@shop/proc';

/** Signals the child (when there is one) and waits for its exit; SIGKILL follows after 10 s. */
async function signal(child: ChildProcess | undefined, sig: NodeJS.Signals): Promise<void> {
  if (child) await stop(child, sig);
}

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

/** The newest PostgreSQL server installed from Debian/Ubuntu packages (15 on Debian 12, 17 on 13). */
function debianPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((major) => existsSync(join(root, major, 'bin/initdb'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server in ${root}/*/bin (apt-get install postgresql; .ci/system-packages.sh does)`);
  return join(root, newest, 'bin');
}

/**
 * A PostgreSQL server of this suite's own (initdb in a temporary folder), so it can be stopped
 * and started while the shop runs. As root it runs as the `postgres` OS user, as PostgreSQL requires.
 */
export async function startPostgres(): Promise<Service & { remove(): Promise<void> }> {
  const pgBin = debianPostgresBin();
  const port = await freePort();
  const parent = await mkdtemp(join(tmpdir(), 'shop-resilience-pg-'));
  await chmod(parent, 0o777);
  const dataDir = join(parent, 'data');
  const ids = process.getuid?.() === 0 ? await osUser('postgres') : {};
  await new Promise<void>((resolve, reject) => {
    const init = spawn(`${pgBin}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], {
      ...ids,
      stdio: 'ignore',
    });
    init.once('error', reject);
    init.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb exited with ${code}`))));
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnTracked(
      `${pgBin}/postgres`,
      ['-D', dataDir, '-p', String(port), '-k', parent, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
      {
        ...ids,
        stdio: 'ignore',
      },
    );
    await waitFor(
      async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('select 1');
          return true;
        } finally {
          await client.end().catch(() => {});
        }
      },
      'private PostgreSQL',
      { child, timeoutMs: 30_000 },
    );
  };
  await start();
  return {
    url,
    port,
    start,
    // Fast shutdown: every connection is cut at once, as in a crash or a failover.
    stop: () => signal(child, 'SIGINT'),
    async remove() {
      await signal(child, 'SIGINT');
      await rm(parent, { recursive: true, force: true });
    },
  };
}

async function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error(`no OS user ${name} to run PostgreSQL as`);
  return { uid: Number(uid), gid: Number(gid) };
}
