// Traffic for the cluster tests: tRPC calls through nginx that count what failed, GET loops, lobby
// subscribers over its WebSocket, and a wait for a condition.
import type { AppRouter } from '@shop/api';
import { sleep } from '@shop/proc';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';

/** Waits until `check` holds, polling every 25 ms; throws naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

/** A lobby subscriber over the cluster's WebSocket, counting its socket's opens and closes. */
export async function lobbyListener(url: string, cookie: string) {
  const stats = { opens: 0, closes: 0 };
  const socket = createWSClient({
    url: `${url.replace('http', 'ws')}/trpc`,
    retryDelayMs: () => 200,
    onOpen: () => {
      stats.opens++;
    },
    onClose: () => {
      stats.closes++;
    },
    WebSocket: class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { cookie } });
      }
    } as unknown as typeof globalThis.WebSocket,
  });
  const live = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] });
  const ids: number[] = [];
  await new Promise<void>((resolve, reject) => {
    live.chat.onMessage.subscribe({ roomId: 'lobby' }, { onStarted: () => resolve(), onData: (e) => ids.push(e.data.id), onError: reject });
  });
  return { ids, stats, socket };
}

/** What a run of calls achieved: successes, and every failure said in a line. */
export interface Outcome {
  ok: number;
  failures: string[];
}

/** One tRPC call through the cluster at `url`, counted in `outcome`; its data, or undefined when it failed. */
export async function call(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  cookie: string | undefined,
  outcome: Outcome,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${url}/trpc/${path}`, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  }).catch((error: Error) => error);
  if (res instanceof Error) {
    outcome.failures.push(`${method} ${path}: ${res.message}`);
    return undefined;
  }
  const text = await res.text();
  if (res.status !== 200) {
    outcome.failures.push(`${method} ${path}: ${res.status} from ${res.headers.get('x-instance') ?? 'nginx'} ${text.slice(0, 200)}`);
    return undefined;
  }
  outcome.ok++;
  return (JSON.parse(text) as { result: { data: unknown } }).result.data;
}

export const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`;

/** GETs in a loop: the signed-in user's own data (never cached) and anonymous catalog reads. */
export async function getLoop(
  url: string,
  cookie: string,
  outcome: Outcome,
  keepGoing: () => boolean,
  max: number,
  pauseMs = 0,
): Promise<void> {
  for (let n = 0; n < max && keepGoing(); n++) {
    const path = n % 3 === 0 ? `catalog.list?${input({ limit: 5, sort: 'name' })}` : n % 3 === 1 ? 'auth.me' : 'cart.get';
    await call(url, 'GET', path, n % 3 === 0 ? undefined : cookie, outcome);
    if (pauseMs) await sleep(pauseMs);
  }
}
