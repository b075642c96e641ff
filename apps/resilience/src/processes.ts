// Processes this suite starts itself: shop instances, a private redis-server and a private
// PostgreSQL, each restartable. Everything is stopped by PID (stopAll), also when a test fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasExited, spawnTracked, startRedisServer, stop, waitFor, waitForHttp } from '@shop/proc';
import pg from 'pg';
import { freePort } from './ports.ts';

export { stopAll } from '@shop/proc';

const serverDir = fileURLToPath(new URL('../../server/', import.meta.url));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signals the child (when there is one) and waits for its exit; SIGKILL follows after 10 s. */
async function signal(child: ChildProcess | undefined, sig: NodeJS.Signals): Promise<void> {
  if (child) await stop(child, sig);
}

export interface Instance {
  name: string;
  port: number;
  base: string;
  pid(): number | undefined;
  alive(): boolean;
  kill(sig?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

/**
 * A server's environment: this process's, the suite's defaults, then `env`. A name `env` sets to
 * undefined is left out, as when a person starts the shop without it (`pnpm start`).
 */
type ServerEnv = Record<string, string | undefined>;
function serverEnv(port: number, name: string, env: ServerEnv): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    PORT: String(port),
    INSTANCE_NAME: name,
    SEED_PRODUCTS: '0',
    WEB_DIST: '',
    ...env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
  return merged;
}

/** One shop server process (apps/server/src/main.ts), ready when /ready answers 200. */
export async function startInstance(name: string, env: ServerEnv): Promise<Instance> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawnTracked(process.execPath, ['src/main.ts'], {
      cwd: serverDir,
      env: serverEnv(port, name, env),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForHttp(`${base}/ready`, `instance ${name}`, { child, timeoutMs: 30_000 });
  };
  await start();
  return {
    name,
    port,
    base,
    pid: () => child?.pid,
    alive: () => child !== undefined && !hasExited(child),
    kill: (sig = 'SIGKILL') => signal(child, sig),
    start,
  };
}

/**
 * A server process that should refuse to start: its exit code and what it wrote to stderr. One still
 * running after `timeoutMs` is killed, and its code is null.
 */
export async function exitOfInstance(name: string, env: ServerEnv, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawnTracked(process.execPath, ['src/main.ts'], {
    cwd: serverDir,
    env: serverEnv(await freePort(), name, env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const code = await Promise.race([exited, sleep(timeoutMs).then(() => 'running' as const)]);
  if (code === 'running') {
    await stop(child, 'SIGKILL');
    return { code: null, stderr };
  }
  return { code, stderr };
}

export interface Service {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of this suite's own, killed and started again at will. */
export const startRedis = async (): Promise<Service> => startRedisServer(await freePort());

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of this suite's own (initdb in a temporary folder), so it can be stopped
 * and started while the shop runs. As root it runs as the `postgres` OS user, as PostgreSQL requires.
 */
export async function startPostgres(): Promise<Service & { remove(): Promise<void> }> {
  const port = await freePort();
  const parent = await mkdtemp(join(tmpdir(), 'shop-resilience-pg-'));
  await chmod(parent, 0o777);
  const dataDir = join(parent, 'data');
  const ids = process.getuid?.() === 0 ? await osUser('postgres') : {};
  await new Promise<void>((resolve, reject) => {
    const init = spawn(`${PG_BIN}/initdb`, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], {
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
      `${PG_BIN}/postgres`,
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
