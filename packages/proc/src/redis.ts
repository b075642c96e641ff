import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort, type PortRange } from './ports.ts';
import { spawnTracked, stop } from './process.ts';
import { waitFor } from './wait.ts';

/**
 * One PING over a fresh connection, in Redis's own protocol (no client library needed). A server
 * that wants a password first (NOAUTH) is up too.
 */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('data', (data) => {
      socket.destroy();
      resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
    });
    socket.once('close', () => resolve(false));
    socket.once('error', () => resolve(false));
  });
}

/**
 * A redis-server without persistence on 127.0.0.1:`port`, tracked, resolved once it answers PING.
 * A private one: the shared Redis on 6379 carries other runs' channels and keys.
 */
export function spawnRedis(port: number, extraArgs: readonly string[] = []): Promise<ChildProcess> {
  return spawnRedisWith(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], port);
}

/** `redis-server args`, tracked, resolved once it answers on `port` (a config file, if any, is args' first). */
export async function spawnRedisWith(args: readonly string[], port: number): Promise<ChildProcess> {
  const child = spawnTracked('redis-server', args, { stdio: 'ignore' });
  try {
    await waitFor(() => answersPing(port), 'redis-server', { child, timeoutMs: 30_000, intervalMs: 50 });
  } catch (error) {
    await stop(child, 'SIGKILL');
    throw new Error(`${(error as Error).message} (is redis-server installed? apt-get install redis-server)`);
  }
  return child;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Starts it again after `stop()`: a fault test's restart. */
  start(): Promise<void>;
  /** SIGKILL: without persistence there is nothing to flush. */
  stop(): Promise<void>;
}

/** A private redis-server (see `spawnRedis`) that can be stopped and started again on its port. */
export async function startRedisServer(port: number, extraArgs: readonly string[] = []): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnRedis(port, extraArgs);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      if (child) await stop(child, 'SIGKILL');
    },
  };
}

/**
 * A private redis-server on a free port (from `ports` when given): live events are published on
 * channels named after rooms and users, so a Redis shared with other runs would mix theirs into ours.
 */
export async function startRedis(options: { ports?: PortRange; args?: readonly string[] } = {}): Promise<RedisServer> {
  return startRedisServer(await freePort(options.ports), options.args);
}
