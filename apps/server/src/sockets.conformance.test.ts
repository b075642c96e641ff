import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type AppRouter, appRouter, type ContextDeps, createContextInner } from '@shop/api';
import { testDeps } from '@shop/api/testing';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { ChatMessage } from '@shop/schemas';
import {
  createTRPCClient,
  createTRPCUntypedClient,
  createWSClient,
  TRPCClientError,
  type TRPCWebSocketClient,
  type WebSocketClientOptions,
  wsLink,
} from '@trpc/client';
import trpcClientPackage from '@trpc/client/package.json' with { type: 'json' };
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import trpcServerPackage from '@trpc/server/package.json' with { type: 'json' };
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { register } from '../test/harness.ts';
import { type App, createApp } from './app.ts';

// sockets.ts re-implements tRPC's WebSocket adapter (for half its memory per socket). Here tRPC's
// own client (createWSClient + wsLink) talks to it, and every scenario runs against tRPC's adapter
// too (applyWSSHandler, same router and context): what passes against both is tRPC's protocol.
const CHECKED_AGAINST = '11.22.1';

it(`runs the tRPC version it was checked against (${CHECKED_AGAINST})`, () => {
  const message = 'tRPC upgraded: re-run and re-check the protocol conformance';
  expect(trpcServerPackage.version, message).toBe(CHECKED_AGAINST);
  expect(trpcClientPackage.version, message).toBe(CHECKED_AGAINST);
});

let db: TestDatabase;
let deps: ContextDeps;
/** Sign-ups and chat messages go over HTTP to an app of their own, up while a socket server is down. */
let http: App;
let httpBase: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  deps = testDeps(db.orm);
  http = createApp({ deps, instanceName: 'conformance-http' });
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  httpBase = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await http?.close();
  await db?.drop();
});

/** A socket server under test, listening on `port`. */
interface Running {
  port: number;
  /** Destroys every TCP connection at once, as a crash or a cut cable would. */
  cut(): void;
  /** Tells its clients to reconnect and stops listening, as a restart does. */
  stop(): Promise<void>;
}
type Start = (port: number) => Promise<Running>;

/** Short, so a test sees both sides ping; production's are in app.ts. */
const KEEP_ALIVE = { pingMs: 200, pongWaitMs: 1_000 };

const ours: Start = (port) => {
  const app = createApp({ deps, instanceName: 'conformance', keepAlive: KEEP_ALIVE });
  return listen(app.server, port, () => app.close());
};

const trpcAdapter: Start = (port) => {
  const server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server });
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext: ({ req }) => createContextInner(deps, { cookieHeader: req.headers.cookie, clientIp: '127.0.0.1', setCookie: null }),
    keepAlive: { enabled: true, ...KEEP_ALIVE },
  });
  return listen(server, port, async () => {
    handler.broadcastReconnectNotification();
    for (const client of wss.clients) client.close(1012);
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
};

async function listen(server: Server, port: number, stop: () => Promise<void>): Promise<Running> {
  const connections = new Set<Socket>();
  server.on('connection', (socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of connections) socket.destroy();
  };
  return { port: (server.address() as AddressInfo).port, cut, stop };
}

/** A frame on the wire, as the client sent or received it. */
interface Frame {
  from: 'client' | 'server';
  text: string;
}
interface Message {
  id?: number | string | null;
  method?: string;
  params?: { path?: string; lastEventId?: string };
  result?: { type?: string };
}
const messages = (frames: Frame[], from: Frame['from']): Message[] =>
  frames.filter((f) => f.from === from && f.text !== 'PING' && f.text !== 'PONG').flatMap((f) => JSON.parse(f.text) as Message | Message[]);

/** Clients a test opened, closed after it. */
const open: TRPCWebSocketClient[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((socket) => socket.close()));
  // Every stream of the test has ended on the server.
  await eventually(() => expect(deps.bus.stats().handlers).toBe(0));
});

const eventually = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

/** tRPC's WebSocket client as a browser would open it (with `cookie`), recording every frame. */
function connect(port: number, cookie: string | undefined, options: Partial<WebSocketClientOptions> = {}) {
  const frames: Frame[] = [];
  const counts = { opened: 0, closed: 0 };
  const socket = createWSClient({
    url: `ws://127.0.0.1:${port}/trpc`,
    retryDelayMs: () => 100,
    onOpen: () => counts.opened++,
    onClose: () => counts.closed++,
    WebSocket: class extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, cookie ? { headers: { cookie } } : {});
        this.on('message', (raw) => frames.push({ from: 'server', text: raw.toString() }));
      }
      override send(data: unknown, ...rest: unknown[]): void {
        frames.push({ from: 'client', text: String(data) });
        (super.send as (...args: unknown[]) => void).call(this, data, ...rest);
      }
    } as unknown as typeof globalThis.WebSocket,
    ...options,
  });
  const links = [wsLink<AppRouter>({ client: socket })];
  open.push(socket);
  return { frames, counts, client: createTRPCClient<AppRouter>({ links }), untyped: createTRPCUntypedClient<AppRouter>({ links }) };
}

/** A newly registered shopper with a socket, and their own support room (no other test writes there). */
async function shopper(port: number, options?: Partial<WebSocketClientOptions>) {
  const cookie = await register(httpBase, 'conformance');
  const ws = connect(port, cookie, options);
  const me = await ws.client.auth.me.query();
  return { cookie, ws, room: `support:${me?.id}` };
}

async function post<T>(cookie: string, path: string, input: unknown): Promise<T> {
  const res = await fetch(`${httpBase}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify(input),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { result: { data: T } }).result.data;
}
const say = (cookie: string, roomId: string, text: string) => post<ChatMessage>(cookie, 'chat.send', { roomId, text });

/** A chat subscription through tRPC's client, with everything its callbacks heard. */
function follow(ws: ReturnType<typeof connect>, roomId: string) {
  const heard = { started: 0, stopped: 0, completed: 0, events: [] as { id: string; data: ChatMessage }[], errors: [] as unknown[] };
  const subscription = ws.client.chat.onMessage.subscribe(
    { roomId },
    {
      onStarted: () => heard.started++,
      onData: (event) => heard.events.push(event),
      onError: (error) => heard.errors.push(error),
      onStopped: () => heard.stopped++,
      onComplete: () => heard.completed++,
    },
  );
  const ids = () => heard.events.map((event) => event.id);
  return { heard, ids, unsubscribe: () => subscription.unsubscribe() };
}

/** A shopper following their own room, with one event through: from here on the stream listens. */
async function following(port: number, options?: Partial<WebSocketClientOptions>) {
  const user = await shopper(port, options);
  const sub = follow(user.ws, user.room);
  await eventually(() => expect(sub.heard.started).toBe(1));
  const first = await say(user.cookie, user.room, 'first');
  await eventually(() => expect(sub.ids()).toEqual([String(first.id)]));
  return { ...user, sub, first };
}

/** The error a call fails with, as tRPC's client decodes it. */
async function failure(call: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  const error: unknown = await call.then(() => null).catch((cause: unknown) => cause);
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe.each([
  ['our socket server (sockets.ts)', ours],
  ["tRPC's own adapter (the reference)", trpcAdapter],
])('tRPC protocol: %s', (_name, start) => {
  let server: Running;
  beforeAll(async () => {
    server = await start(0);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers queries and mutations, one at a time and batched in one frame', async () => {
    const { ws, room } = await shopper(server.port);
    const sent = await ws.client.chat.send.mutate({ roomId: room, text: 'over the socket' });
    expect(sent).toMatchObject({ roomId: room, text: 'over the socket' });
    const [rooms, history] = await Promise.all([ws.client.chat.rooms.query(), ws.client.chat.history.query({ roomId: room })]);
    expect(rooms.map((r) => r.id)).toEqual(expect.arrayContaining(['lobby', room]));
    expect(history.items.map((m) => m.id)).toEqual([sent.id]);
    // The client sent both queries as one frame, and each got its own answer.
    const batched = ws.frames.filter((f) => f.from === 'client' && f.text.startsWith('['));
    expect(batched.map((f) => (JSON.parse(f.text) as Message[]).map((m) => m.params?.path))).toEqual([['chat.rooms', 'chat.history']]);
  });

  it("answers errors in tRPC's shape: code, HTTP status, JSON-RPC code and the zod issues", async () => {
    const anonymous = connect(server.port, undefined);
    const unauthorized = await failure(anonymous.client.chat.rooms.query());
    expect(unauthorized.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401 });
    expect(unauthorized.shape?.code).toBe(-32001);

    const { ws } = await shopper(server.port);
    const invalid = await failure(ws.client.chat.send.mutate({ roomId: 'lobby', text: '   ' }));
    expect(invalid.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400, zodError: expect.any(Object) });
    expect(invalid.shape?.code).toBe(-32600);
    const missing = await failure(ws.untyped.query('chat.noSuchProcedure'));
    expect(missing.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(missing.shape?.code).toBe(-32004);
    // Errors end the call, not the socket.
    expect(await ws.client.chat.rooms.query()).not.toHaveLength(0);
    expect(ws.counts).toEqual({ opened: 1, closed: 0 });
  });

  it('resumes a subscription after the server cuts its socket, from lastEventId: no gap, no repeat', async () => {
    const { cookie, ws, room, sub, first } = await following(server.port, { retryDelayMs: () => 300 });

    server.cut();
    const missed = [await say(cookie, room, 'while cut 1'), await say(cookie, room, 'while cut 2')];
    await eventually(() => expect(sub.heard.started).toBe(2));
    const after = await say(cookie, room, 'after the cut');
    await eventually(() => expect(sub.heard.events).toHaveLength(4));
    expect(sub.ids()).toEqual([first, ...missed, after].map((m) => String(m.id)));
    // The client asked again with the last id it had seen; the stream was never ended as such.
    const asks = messages(ws.frames, 'client').filter((m) => m.method === 'subscription');
    expect(asks.map((m) => m.params?.lastEventId)).toEqual([undefined, String(first.id)]);
    expect(sub.heard).toMatchObject({ stopped: 0, completed: 0, errors: [] });
  });

  it('resumes a subscription after a restart: the reconnect notice, then the server on the same port again', async () => {
    const { cookie, ws, room, sub, first } = await following(server.port);

    await server.stop();
    expect(messages(ws.frames, 'server')).toContainEqual({ id: null, method: 'reconnect' });
    const missed = await say(cookie, room, 'while down');
    server = await start(server.port);
    await eventually(() => expect(sub.heard.started).toBe(2));
    const after = await say(cookie, room, 'after the restart');
    await eventually(() => expect(sub.heard.events).toHaveLength(3));
    expect(sub.ids()).toEqual([first, missed, after].map((m) => String(m.id)));
    expect(sub.heard).toMatchObject({ stopped: 0, completed: 0, errors: [] });
  });

  it('sends subscription.stop when the client unsubscribes; the server ends the stream and says stopped', async () => {
    const { ws, sub } = await following(server.port);
    expect(deps.bus.stats().handlers).toBeGreaterThan(0);

    sub.unsubscribe();
    const id = messages(ws.frames, 'client').find((m) => m.method === 'subscription')?.id;
    await eventually(() => expect(messages(ws.frames, 'server')).toContainEqual({ id, result: { type: 'stopped' } }));
    expect(messages(ws.frames, 'client')).toContainEqual({ id, method: 'subscription.stop' });
    expect(deps.bus.stats().handlers).toBe(0);
    // The socket stays open for other calls.
    expect(await ws.client.chat.rooms.query()).not.toHaveLength(0);
    expect(ws.counts).toEqual({ opened: 1, closed: 0 });
  });

  it("completes the client's subscription when the server ends the stream (signing out ends the user's streams)", async () => {
    const { cookie, sub } = await following(server.port);
    await post(cookie, 'auth.logout', {});
    await eventually(() => expect(sub.heard.completed).toBe(1));
    expect(sub.heard).toMatchObject({ stopped: 1, errors: [] });
  });

  it('ends a subscription whose stream fails with the error, decoded by the client', async () => {
    const { ws } = await shopper(server.port);
    // Someone else's support room that was never opened: refused on the stream's first step.
    const sub = follow(ws, `support:${crypto.randomUUID()}`);
    await eventually(() => expect(sub.heard.errors).toHaveLength(1));
    const [error] = sub.heard.errors;
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, path: 'chat.onMessage' });
    expect(sub.heard).toMatchObject({ events: [], completed: 0 });
  });

  it('takes connection params (sent first on every new socket) without treating them as a call', async () => {
    const { ws } = await shopper(server.port, { connectionParams: { locale: 'de' } });
    server.cut();
    await eventually(() => expect(ws.counts.opened).toBe(2));
    expect(await ws.client.chat.rooms.query()).not.toHaveLength(0);
    const params = ws.frames.filter((f) => f.text.includes('"connectionParams"'));
    expect(params.map((f) => JSON.parse(f.text))).toEqual([1, 2].map(() => ({ method: 'connectionParams', data: { locale: 'de' } })));
    expect(messages(ws.frames, 'server').filter((m) => m.id === null)).toEqual([]);
  });

  it('keeps sockets alive: the server PINGs a quiet client, which PONGs; a client that PINGs gets PONG', async () => {
    const { cookie, ws: quiet } = await shopper(server.port);
    const pinging = connect(server.port, cookie, { keepAlive: { enabled: true, intervalMs: 100, pongTimeoutMs: 1_000 } });
    const said = (ws: typeof quiet, from: Frame['from'], text: string) =>
      ws.frames.filter((f) => f.from === from && f.text === text).length;
    await eventually(() => {
      expect(said(quiet, 'server', 'PING')).toBeGreaterThanOrEqual(3);
      expect(said(quiet, 'client', 'PONG')).toBeGreaterThanOrEqual(3);
      expect(said(pinging, 'client', 'PING')).toBeGreaterThanOrEqual(3);
      expect(said(pinging, 'server', 'PONG')).toBeGreaterThanOrEqual(3);
    });
    expect([quiet.counts, pinging.counts]).toEqual([1, 2].map(() => ({ opened: 1, closed: 0 })));
  });
});

// Ours only: tRPC's adapter knows nothing of procedures that need HTTP.
describe('our socket server beyond the protocol', () => {
  let server: Running;
  beforeAll(async () => {
    server = await ours(0);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses auth.login (HTTP only, on its own) with BAD_REQUEST, and keeps serving', async () => {
    const { ws } = await shopper(server.port);
    const refused = await failure(ws.client.auth.login.mutate({ email: 'someone@example.test', password: 'a-guess' }));
    expect(refused.data).toMatchObject({ code: 'BAD_REQUEST', path: 'auth.login' });
    expect(refused.message).toMatch(/over HTTP/);
    expect(await ws.client.chat.rooms.query()).not.toHaveLength(0);
  });
});
