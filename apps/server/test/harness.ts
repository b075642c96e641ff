// Starts real processes for cross-process tests: server instances (node src/main.ts) and a private
// redis-server that a test may kill and restart. Everything started here is stopped by PID.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppRouter } from '@shop/api';
import { freePort, type RedisServer, spawnTracked, startRedisServer, stop, waitForHttp } from '@shop/proc';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';

export { type RedisServer, stopAll } from '@shop/proc';

const serverDir = fileURLToPath(new URL('..', import.meta.url));

/** A redis-server of the test's own, on a free port, that can be killed and restarted. */
export const startRedis = async (): Promise<RedisServer> => startRedisServer(await freePort());

export interface Instance {
  name: string;
  base: string;
  child: ChildProcess;
  /** What the process wrote to stdout (its JSON log), when started with `captureStdout`. */
  stdout(): string;
  /** Signals the process (SIGKILL by default) and resolves with its exit code once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** One shop server process on a free port, ready when /ready answers 200. */
export async function startInstance(name: string, env: Record<string, string>, { captureStdout = false } = {}): Promise<Instance> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, ['src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, NODE_ENV: 'test', PORT: String(port), INSTANCE_NAME: name, SEED_PRODUCTS: '0', WEB_DIST: '', ...env },
    stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/ready`, `instance ${name}`, { child });
  return {
    name,
    base,
    child,
    stdout: () => stdout,
    // A drain that hangs past the server's own 15 s limit is ended.
    kill: (signal = 'SIGKILL') => stop(child, signal, 20_000),
  };
}

/** Registers a user on an instance; returns its session cookie. */
export async function register(
  base: string,
  name: string,
  email = `${name}-${crypto.randomUUID().slice(0, 8)}@example.test`,
): Promise<string> {
  const res = await fetch(`${base}/trpc/auth.register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'tulip-anchor-violet-88', name }),
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
}

/** Typed HTTP and WebSocket clients for one instance, sending `cookie` like a browser would. */
export function clients(base: string, cookie: string) {
  const http = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${base}/trpc`, headers: { cookie } })] });
  const socket = createWSClient({
    url: `${base.replace('http', 'ws')}/trpc`,
    retryDelayMs: () => 200,
    WebSocket: class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie } });
      }
    } as unknown as typeof globalThis.WebSocket,
  });
  const live = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] });
  return { http, live, socket };
}
