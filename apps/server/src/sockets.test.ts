import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContextDeps } from '@shop/api';
import { testDeps } from '@shop/api/testing';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { initTRPC } from '@trpc/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { register } from '../test/harness.ts';
import { type App, createApp } from './app.ts';
import { RECONNECT_NOTICE, socketHandler } from './sockets.ts';

// Our tRPC WebSocket handler on a raw socket: the wire protocol @trpc/client's wsLink speaks,
// including what that client never sends (malformed messages, duplicate ids).
let db: TestDatabase;
let deps: ContextDeps;
let app: App;
let base: string;
let cookie: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  deps = testDeps(db.orm);
  app = createApp({ deps, instanceName: 'sockets' });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  cookie = await register(base, 'raw');
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

interface Reply {
  id: number | string | null;
  result?: { type: string; id?: string; data?: unknown };
  error?: { data?: { code?: string } };
}

/** A raw socket with the session cookie, and the replies it has received so far. */
async function open(as = cookie) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/trpc`, { headers: { cookie: as } });
  const replies: (Reply | string)[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (raw) => {
    const text = raw.toString();
    replies.push(text === 'PONG' || text === 'PING' ? text : (JSON.parse(text) as Reply));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  /** Waits for a reply matching `test`. */
  const reply = async (test: (r: Reply | string) => boolean): Promise<Reply | string> => {
    for (;;) {
      const found = replies.find(test);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { ws, reply, send: (message: unknown) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)) };
}

/** Polls until `test` holds: the stream joins the bus after "started", while it opens. */
async function until(test: () => boolean): Promise<void> {
  while (!test()) await sleep(10);
}

/**
 * A lobby subscription that misses nothing sent from now on: it resumes after the lobby's newest
 * message, so a message committed while the stream is still joining the bus (after "started")
 * comes from the back-fill instead of being skipped as older than where it started.
 */
async function lobbyFromNow(id: number) {
  const res = await fetch(`${base}/trpc/chat.history?input=${encodeURIComponent(JSON.stringify({ roomId: 'lobby', limit: 1 }))}`, {
    headers: { cookie },
  });
  const newest = ((await res.json()) as { result: { data: { items: { id: number }[] } } }).result.data.items[0]?.id;
  return { id, method: 'subscription', params: { path: 'chat.onMessage', input: { roomId: 'lobby', lastEventId: newest ?? null } } };
}

const isReply = (id: number, type: string) => (r: Reply | string) => typeof r !== 'string' && r.id === id && r.result?.type === type;

describe('tRPC over a raw WebSocket', () => {
  it('names the instance holding the socket in the upgrade answer, as every HTTP answer does', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/trpc`, { headers: { cookie } });
    const upgrade = await new Promise<IncomingMessage>((resolve, reject) => {
      ws.once('upgrade', resolve);
      ws.once('error', reject);
    });
    ws.terminate();
    expect(upgrade.statusCode).toBe(101);
    expect(upgrade.headers['x-instance']).toBe('sockets');
  });

  it('starts a subscription, sends tracked events, and on subscription.stop ends the stream and says stopped', async () => {
    const socket = await open();
    socket.send(await lobbyFromNow(1));
    await socket.reply(isReply(1, 'started'));

    await fetch(`${base}/trpc/chat.send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ roomId: 'lobby', text: 'over the wire' }),
    });
    const data = (await socket.reply(isReply(1, 'data'))) as Reply;
    const event = data.result?.data as { id: string; data: { id: number; text: string } };
    expect(event.data.text).toBe('over the wire');
    // A tracked event: its id (the message id) is what a reconnecting client resumes after.
    expect(data.result?.id).toBe(String(event.data.id));
    expect(event.id).toBe(String(event.data.id));
    // The stream holds its channel and session subscriptions on the bus while it runs.
    expect(deps.bus.stats().handlers).toBeGreaterThan(0);

    socket.send({ id: 1, method: 'subscription.stop' });
    await socket.reply(isReply(1, 'stopped'));
    expect(deps.bus.stats().handlers).toBe(0);

    socket.send('PING');
    await socket.reply((r) => r === 'PONG');
    socket.ws.close();
  });

  it('ends the streams of a socket that closes', async () => {
    const socket = await open();
    socket.send({ id: 7, method: 'subscription', params: { path: 'chat.onMessage', input: { roomId: 'lobby' } } });
    await socket.reply(isReply(7, 'started'));
    await until(() => deps.bus.stats().handlers > 0);
    socket.ws.close();
    await until(() => deps.bus.stats().handlers === 0);
  });

  it('answers malformed messages with PARSE_ERROR and a second subscription under the same id with BAD_REQUEST', async () => {
    const socket = await open();
    socket.send('{not json');
    const parse = (await socket.reply((r) => typeof r !== 'string' && r.id === null && r.error !== undefined)) as Reply;
    expect(parse.error?.data?.code).toBe('PARSE_ERROR');

    const subscribe = await lobbyFromNow(2);
    socket.send(subscribe);
    await socket.reply(isReply(2, 'started'));
    socket.send(subscribe);
    const duplicate = (await socket.reply((r) => typeof r !== 'string' && r.id === 2 && r.error !== undefined)) as Reply;
    expect(duplicate.error?.data?.code).toBe('BAD_REQUEST');
    // The refused duplicate leaves the running subscription alone.
    await fetch(`${base}/trpc/chat.send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ roomId: 'lobby', text: 'still subscribed' }),
    });
    const still = (await socket.reply(isReply(2, 'data'))) as Reply;
    expect((still.result?.data as { data: { text: string } } | undefined)?.data.text).toBe('still subscribed');

    // A query over the socket is answered too (the shop's own client sends those over HTTP).
    socket.send({ id: 3, method: 'query', params: { path: 'chat.rooms' } });
    const rooms = (await socket.reply(isReply(3, 'data'))) as Reply;
    expect(rooms.result?.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'lobby' })]));
    socket.ws.close();
  });
});

describe('many chat.send calls in one frame', () => {
  it('answers each call with its own message, stored once and numbered densely, and refuses those past the rate limit', async () => {
    // A user of its own: the chat limit (10 per 10 s) is per user.
    const socket = await open(await register(base, 'frame'));
    const calls = Array.from({ length: 12 }, (_, i) => ({
      id: 100 + i,
      method: 'mutation',
      params: { path: 'chat.send', input: { roomId: 'lobby', text: `frame ${i}` } },
    }));
    socket.send(calls);
    const replies = (await Promise.all(calls.map(({ id }) => socket.reply((r) => typeof r !== 'string' && r.id === id)))) as Reply[];
    const stored = replies.flatMap((r, i) =>
      r.result?.type === 'data' ? [{ call: i, message: r.result.data as { id: number; text: string } }] : [],
    );
    expect(stored).toHaveLength(10);
    for (const { call, message } of stored) expect(message.text).toBe(`frame ${call}`);
    const ids = stored.map(({ message }) => message.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, k) => (ids[0] ?? 0) + k));
    expect(replies.filter((r) => r.error?.data?.code === 'TOO_MANY_REQUESTS')).toHaveLength(2);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from chat_messages where text like 'frame %'`);
      expect(rows[0]?.n).toBe(10);
    } finally {
      await client.end();
    }
    socket.ws.close();
  });
});

describe('a stream that fails while its event is being answered', () => {
  it('answers the error, closes the stream and says stopped; nothing escapes as an unhandled rejection', async () => {
    const t = initTRPC.create();
    let closed = false;
    const router = t.router({
      // A BigInt cannot be written as JSON: the reply itself throws.
      unsendable: t.procedure.subscription(async function* () {
        try {
          yield { n: 1n };
          yield { n: 2 };
        } finally {
          closed = true;
        }
      }),
    });
    const errors: string[] = [];
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    const handle = socketHandler({ router, createContext: async () => ({}), onError: ({ error }) => errors.push(error.message) });
    wss.on('connection', (ws, req) => handle.connect(ws, { url: req.url ?? '/' }));
    await new Promise((resolve) => wss.once('listening', resolve));
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const replies: Reply[] = [];
    ws.on('message', (raw) => replies.push(JSON.parse(raw.toString()) as Reply));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path: 'unsendable' } }));

    await until(() => replies.some((r) => r.result?.type === 'stopped'));
    expect(replies.map((r) => r.result?.type ?? r.error?.data?.code)).toEqual(['started', 'INTERNAL_SERVER_ERROR', 'stopped']);
    await until(() => closed);
    expect(errors).toHaveLength(1);
    ws.close();
    await new Promise((resolve) => wss.close(resolve));
  });
});

describe('keep-alive', () => {
  it('drops a socket that stays silent after a PING and keeps one that answers', async () => {
    const quick = createApp({ deps, instanceName: 'keep-alive', keepAlive: { pingMs: 300, pongWaitMs: 400 } });
    await new Promise<void>((resolve) => quick.server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(quick.server.address() as AddressInfo).port}/trpc`;
    const connect = async (answer: boolean) => {
      const ws = new WebSocket(url, { headers: { cookie } });
      let pings = 0;
      ws.on('message', (raw) => {
        if (raw.toString() !== 'PING') return;
        pings++;
        if (answer) ws.send('PONG');
      });
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return { ws, pings: () => pings, closed };
    };
    try {
      const [alive, silent] = await Promise.all([connect(true), connect(false)]);
      // Terminated, not closed with a frame: a dead peer would not answer a close handshake.
      expect(await silent.closed).toBe(1006);
      expect(silent.pings()).toBeGreaterThanOrEqual(1);
      await expect.poll(() => alive.pings(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      expect(alive.ws.readyState).toBe(WebSocket.OPEN);
      alive.ws.close();
    } finally {
      await quick.close();
    }
  });
});

describe('drain', () => {
  it('answers a call already running over a socket before it tells the client to reconnect', async () => {
    const draining = createApp({ deps, instanceName: 'drain' });
    await new Promise<void>((resolve) => draining.server.listen(0, '127.0.0.1', resolve));
    const port = (draining.server.address() as AddressInfo).port;
    // Holds the lobby's row, so a chat.send to it waits inside its statement.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(`select 1 from chat_rooms where id = 'lobby' for update`);
      const ws = new WebSocket(`ws://127.0.0.1:${port}/trpc`, { headers: { cookie } });
      const received: string[] = [];
      ws.on('message', (raw) => received.push(raw.toString()));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(
        JSON.stringify({ id: 1, method: 'mutation', params: { path: 'chat.send', input: { roomId: 'lobby', text: 'during a drain' } } }),
      );
      // The send now waits for the row lock.
      // A row lock wait is on the holder's transaction id, whose lock names no database: the
      // waiting session does.
      const waiting = `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and a.datname = current_database()`;
      await expect.poll(async () => (await blocker.query(waiting)).rows[0].n, { timeout: 10_000 }).toBeGreaterThan(0);
      const closing = draining.close();
      await sleep(100);
      expect(received).toEqual([]);
      await blocker.query('commit');
      await closing;
      const answer = received.findIndex((m) => m.includes('"id":1') && m.includes('during a drain'));
      expect(answer).toBe(0);
      expect(received.indexOf(RECONNECT_NOTICE)).toBeGreaterThan(answer);
      ws.terminate();
    } finally {
      await blocker.end();
      await draining.close(0);
    }
  });
});
