// Builds the SPA and starts a shop server for browser tests. Everything started here is stopped by PID.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The e2e suite's own port range, so it never collides with other servers on the machine. */
export const PORT_RANGE = [4100, 4199] as const;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port in PORT_RANGE that nothing listens on right now, starting at a random offset. */
export async function freePortInRange(exclude: readonly number[] = []): Promise<number> {
  const [low, high] = PORT_RANGE;
  const size = high - low + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = low + ((start + i) % size);
    if (!exclude.includes(port) && (await portIsFree(port))) return port;
  }
  throw new Error(`no free port in ${low}-${high}`);
}

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

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Stops a child by PID: SIGTERM (the shop drains), then SIGKILL if it has not exited after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(pid, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(pid, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface RedisProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * A redis-server of the suite's own: live events (chat) are published on channels named after the
 * room, so a Redis shared with other test runs would mix their lobby messages into ours.
 */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePortInRange();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  failed.catch(() => {});
  const url = `redis://127.0.0.1:${port}`;
  try {
    await Promise.race([
      failed,
      waitFor(async () => {
        if (child.exitCode !== null) return true;
        return new Promise<boolean>((resolve) => {
          const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.end('PING\r\n'));
          socket.once('data', (data) => resolve(data.toString().startsWith('+PONG')));
          socket.once('error', () => resolve(false));
        });
      }, 'redis-server'),
    ]);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
  } catch (error) {
    await stopChild(child);
    throw new Error(`could not start redis-server (apt-get install redis-server): ${(error as Error).message}`);
  }
  return { url, stop: () => stopChild(child) };
}

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
  const port = await freePortInRange();
  const child: ChildProcess = spawn(process.execPath, ['apps/server/src/main.ts'], {
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
  const stop = () => stopChild(child);
  try {
    // An early exit ends the wait too, and is reported with what the server printed.
    await waitFor(async () => child.exitCode !== null || (await fetch(`${url}/ready`)).status === 200, `the server on ${url}`);
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { url, pid, output: () => output, stop };
}
