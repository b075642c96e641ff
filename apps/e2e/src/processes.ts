// Builds the SPA and starts a shop server for browser tests. Everything started here is stopped by PID.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, freePorts, type PortRange, type RedisServer, spawnTracked, startRedisServer, stop, waitForHttp } from '@shop/proc';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The e2e suite's own port range, so it never collides with other servers on the machine. */
export const E2E_PORTS: PortRange = { first: 4100, last: 4199 };

/** `n` distinct free ports of E2E_PORTS. */
export const e2ePorts = (n: number): Promise<number[]> => freePorts(n, E2E_PORTS);

/**
 * Builds the SPA fresh into a folder of its own: the suite tests the current source, and neither
 * races with other builds of apps/web/dist nor replaces the files a running server is serving.
 */
export async function buildWeb(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'shop-e2e-web-'));
  // pnpm lives beside the Node running us (.tools/bin); the build must not inherit vitest's NODE_ENV=test,
  // which would bundle React's development build.
  const env = { ...process.env, NODE_ENV: 'production', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  await promisify(execFile)('pnpm', ['--filter', '@shop/web', 'build', '--outDir', outDir, '--emptyOutDir'], {
    cwd: repoRoot,
    env,
    maxBuffer: 10 * 1024 * 1024,
  });
  return outDir;
}

/**
 * A redis-server of the suite's own: live events (chat) are published on channels named after the
 * room, so a Redis shared with other test runs would mix their lobby messages into ours.
 */
export type { RedisServer };

export const startRedis = async (): Promise<RedisServer> => startRedisServer(await freePort(E2E_PORTS));

export interface ServerProcess {
  url: string;
  pid: number;
  /** What the server printed, for the report when something fails. */
  output(): string;
  /** SIGTERM (drain), then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

/** One shop server (node apps/server/src/main.ts) serving the SPA, ready when /ready answers 200. */
export async function startServer(options: {
  databaseUrl: string;
  redisUrl: string;
  webDist: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort(E2E_PORTS);
  const child = spawnTracked(process.execPath, ['apps/server/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      INSTANCE_NAME: 'e2e',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      WEB_DIST: options.webDist,
      SEED_PRODUCTS: '200',
      SESSION_SECRET: 'e2e-session-secret-0123456789-abcdefghij',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the server');
  const url = `http://127.0.0.1:${port}`;
  const stopServer = async () => {
    await stop(child);
  };
  try {
    // An early exit ends the wait too, and is reported with what the server printed.
    await waitForHttp(`${url}/ready`, `the server on ${url}`, { child, timeoutMs: 30_000 });
  } catch (error) {
    await stopServer();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, pid, output: () => output, stop: stopServer };
}
