// Real processes for cross-process tests: shop instances and a private redis-server that a test
// may kill and restart (@shop/proc's kit), typed clients for them. Everything is stopped by PID.

import type { AppRouter } from '@shop/api';
import { type InstanceEnv, type ShopInstance, startShopInstance } from '@shop/proc';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';

export { type RedisServer, type ShopInstance, startRedis, stopAll } from '@shop/proc';

/** Three instances (a, b, c) started at once in test mode; `on(i)` is instance i mod 3's URL, to spread calls over all three. */
export async function startThree(env: InstanceEnv): Promise<{ instances: ShopInstance[]; on: (i: number) => string }> {
  const instances = await Promise.all(['a', 'b', 'c'].map((name) => startInstance(name, env)));
  return { instances, on: (i: number) => (instances[i % instances.length] as ShopInstance).url };
}

/** The tRPC error code a client call failed with (or the error as text). */
export const codeOf = (error: unknown) => (error as { data?: { code?: string } }).data?.code ?? String(error);

/** One shop instance in test mode on a free port; with `captureStdout`, `stdout()` holds its JSON log. */
export async function startInstance(
  name: string,
  env: InstanceEnv,
  { captureStdout = false } = {},
): Promise<ShopInstance & { stdout(): string }> {
  let stdout = '';
  const instance = await startShopInstance({
    name,
    env: { NODE_ENV: 'test', ...env },
    ...(captureStdout
      ? {
          onOutput: (line: string, stream: 'stdout' | 'stderr') => {
            if (stream === 'stdout') stdout += `${line}\n`;
            else process.stderr.write(`${line}\n`);
          },
        }
      : {}),
  });
  return Object.assign(instance, { stdout: () => stdout });
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

/** A typed HTTP client for one instance, sending `cookie` like a browser would. */
export function httpClient(base: string, cookie: string) {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${base}/trpc`, headers: { cookie } })] });
}

/** Typed HTTP and WebSocket clients for one instance, sending `cookie` like a browser would. */
export function clients(base: string, cookie: string) {
  const http = httpClient(base, cookie);
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
