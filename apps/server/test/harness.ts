// Starts real processes for cross-process tests: server instances (node src/main.ts) and a private
// redis-server that a test may kill and restart. Everything started here is stopped by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AppRouter } from '@shop/api';
import { freePort } from '@shop/db';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const serverDir = fileURLToPath(new URL('..', import.meta.url));
const started = new Set<ChildProcess>();

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface RedisProcess {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of the test's own, on a free port, that can be killed and started again. */
export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    started.add(child);
    await waitFor(async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    }, 'redis-server');
  };
  await start();
  return {
    url,
    start,
    async stop() {
      if (!child) return;
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      started.delete(child);
    },
  };
}

export interface Instance {
  name: string;
  base: string;
  child: ChildProcess;
  /** What the process wrote to stdout (its JSON log), when started with `captureStdout`. */
  stdout(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** One shop server process on a free port, ready when /ready answers 200. */
export async function startInstance(name: string, env: Record<string, string>, { captureStdout = false } = {}): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: serverDir,
    env: { ...process.env, NODE_ENV: 'test', PORT: String(port), INSTANCE_NAME: name, SEED_PRODUCTS: '0', WEB_DIST: '', ...env },
    stdio: ['ignore', captureStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  started.add(child);
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, `instance ${name}`);
  return {
    name,
    base,
    child,
    stdout: () => stdout,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      const code = await exited;
      started.delete(child);
      return code;
    },
  };
}

/** Stops whatever is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...started].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
  started.clear();
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
    body: JSON.stringify({ email, password: 'password123', name }),
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
