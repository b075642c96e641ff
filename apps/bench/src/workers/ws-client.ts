// A minimal tRPC WebSocket client (JSON-RPC over `ws`): one subscription per socket, keep-alive
// answered. Lighter than @trpc/client, so thousands fit in one load process.
import WebSocket from 'ws';

/** How a load process opens a socket. */
export interface SocketOptions {
  /** Source address (127.0.0.2, 127.0.0.3, …): many clients, as Nginx's per-address limits see them. */
  localAddress?: string | undefined;
  timeoutMs?: number;
}

/** A loopback source address for client `k`: 250 of them, so no address holds more than a few hundred sockets. */
export const clientAddress = (k: number): string => `127.0.0.${2 + (k % 250)}`;

/** Opens `<base>/trpc`; `instance` resolves with the x-instance of the upgrade's answer (the instance holding it). */
function open(base: string, cookie: string, { localAddress }: SocketOptions): { ws: WebSocket; instance: Promise<string> } {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/trpc`, {
    headers: { cookie },
    perMessageDeflate: false,
    ...(localAddress ? { localAddress } : {}),
  });
  const instance = new Promise<string>((resolve) => ws.once('upgrade', (res) => resolve(String(res.headers['x-instance'] ?? ''))));
  return { ws, instance };
}

/** A subscribed socket and the instance holding it. */
export interface Subscribed {
  ws: WebSocket;
  instance: string;
}

/** Opens a socket to `<base>/trpc`, subscribes to `path(input)` and resolves once it has started. */
export function subscribe(
  base: string,
  cookie: string,
  path: string,
  input: unknown,
  onData: (data: unknown) => void,
  options: SocketOptions = {},
): Promise<Subscribed> {
  const { timeoutMs = 30_000 } = options;
  return new Promise((resolve, reject) => {
    const { ws, instance } = open(base, cookie, options);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('subscription did not start in time'));
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path, input } })));
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text === 'PING') {
        ws.send('PONG');
        return;
      }
      const message = JSON.parse(text) as { result?: { type: string; data?: { data?: unknown } }; error?: { message: string } };
      if (message.error) {
        clearTimeout(timer);
        reject(new Error(message.error.message));
      } else if (message.result?.type === 'started') {
        clearTimeout(timer);
        void instance.then((name) => resolve({ ws, instance: name }));
      } else if (message.result?.type === 'data') onData(message.result.data?.data);
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      reject(new Error('socket closed'));
    });
  });
}

/** A socket for queries and mutations, each answered by its id; the status as HTTP would give it. */
export interface Caller {
  ws: WebSocket;
  /** The instance holding the socket (its upgrade answer's x-instance). */
  instance: string;
  call(type: 'query' | 'mutation', path: string, input: unknown): Promise<number>;
}

/** Opens a socket to `<base>/trpc` for calls (the SPA sends chat messages this way). */
export function connect(base: string, cookie: string, options: SocketOptions = {}): Promise<Caller> {
  const { timeoutMs = 30_000 } = options;
  return new Promise((resolve, reject) => {
    const { ws, instance } = open(base, cookie, options);
    const waiting = new Map<number, (status: number) => void>();
    let nextId = 1;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('socket did not open in time'));
    }, timeoutMs);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text === 'PING') {
        ws.send('PONG');
        return;
      }
      const message = JSON.parse(text) as { id?: number; error?: { data?: { httpStatus?: number } } };
      const done = message.id === undefined ? undefined : waiting.get(message.id);
      if (!done || message.id === undefined) return;
      waiting.delete(message.id);
      done(message.error ? (message.error.data?.httpStatus ?? 500) : 200);
    });
    ws.on('open', async () => {
      clearTimeout(timer);
      resolve({
        ws,
        instance: await instance,
        call(type, path, input) {
          const id = nextId++;
          return new Promise<number>((done) => {
            waiting.set(id, done);
            ws.send(JSON.stringify({ id, method: type, params: { path, input } }));
          });
        },
      });
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', () => {
      clearTimeout(timer);
      for (const done of waiting.values()) done(0);
      waiting.clear();
      reject(new Error('socket closed'));
    });
  });
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}
