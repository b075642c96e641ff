import type { AddressInfo } from 'node:net';
import { testDeps } from '@shop/api/testing';
import * as authModule from '@shop/auth';
import { DEMO_ACCOUNTS, seedDemo } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type App, type AppOptions, createApp } from './app.ts';

// What one request (or one socket) can do to the sign-in and to promotion codes: guesses, batches,
// bursts and streams.
// Counts argon2 verifications by wrapping the real one: the services import it from @shop/auth.
vi.mock('@shop/auth', async (importOriginal) => {
  const real = await importOriginal<typeof authModule>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});
const verifications = () => vi.mocked(authModule.verifyPassword).mock.calls.length;

const PASSWORD = 'Quartz-ladder-Mimosa-41';
let db: TestDatabase;
let app: App;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await db?.drop();
});

/** A fresh app (and fresh sign-in counters) per test: every test guesses from the same IP. */
async function start(options: Partial<AppOptions> = {}): Promise<void> {
  app = createApp({ deps: testDeps(db.orm), instanceName: 'signin', ...options });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
beforeEach(async () => {
  vi.mocked(authModule.verifyPassword).mockClear();
  await start();
});
afterEach(async () => {
  await app?.close(0);
});

interface Reply {
  id?: number | string | null;
  result?: { type?: string; data?: unknown };
  error?: { message: string; data?: { code?: string } };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function registerUser(email: string): Promise<string> {
  const res = await post('auth.register', { email, password: PASSWORD, name: 'Guessed' });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie()[0]?.split(';')[0] ?? '';
}

/** Error codes of a tRPC reply (a batch answers an array; a refused batch one error). */
function codes(body: Reply | Reply[], calls: number): string[] {
  if (Array.isArray(body)) return body.map((r) => r.error?.data?.code ?? 'OK');
  return Array.from({ length: calls }, () => body.error?.data?.code ?? 'OK');
}

function tally(list: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const code of list) counts[code] = (counts[code] ?? 0) + 1;
  return counts;
}

/** At most 10 guesses were tried (the per-email rule); every other one refused. */
function expectAtMostTenTried(list: string[]): void {
  const counts = tally(list);
  expect(counts.UNAUTHORIZED ?? 0).toBeLessThanOrEqual(10);
  expect((counts.UNAUTHORIZED ?? 0) + (counts.TOO_MANY_REQUESTS ?? 0) + (counts.BAD_REQUEST ?? 0)).toBe(list.length);
  expect(counts.OK ?? 0).toBe(0);
  expect(verifications()).toBeLessThanOrEqual(10);
}

/** A raw socket, with every reply it gets. */
async function socket(cookie?: string) {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/trpc`, cookie ? { headers: { cookie } } : {});
  const replies: Reply[] = [];
  ws.on('message', (raw) => {
    const text = raw.toString();
    if (text !== 'PING' && text !== 'PONG') replies.push(JSON.parse(text) as Reply);
    else replies.push({ id: text });
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const until = async (test: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`timed out; replies: ${JSON.stringify(replies).slice(0, 500)}`);
      await sleep(10);
    }
  };
  return { ws, replies, until, send: (message: unknown) => ws.send(JSON.stringify(message)) };
}

const guess = (id: number, email: string) => ({
  id,
  method: 'mutation',
  params: { path: 'auth.login', input: { email, password: `wrong-guess-${id}` } },
});
const errorCodes = (replies: Reply[]) => replies.filter((r) => typeof r.id === 'number').map((r) => r.error?.data?.code ?? 'OK');

describe('sign-in guessing', () => {
  it('30 wrong passwords in ONE batched HTTP POST: at most 10 tried, argon2 at most 10 times', async () => {
    const email = 'batch-guess@example.test';
    await registerUser(email);
    const calls = Array.from({ length: 30 }, (_, i) => ({ email, password: `wrong-guess-${i}` }));
    const res = await post(`${Array(30).fill('auth.login').join(',')}?batch=1`, Object.fromEntries(calls.map((c, i) => [i, c])));
    expectAtMostTenTried(codes((await res.json()) as Reply | Reply[], 30));
    // Over the batch cap: refused whole before anything runs.
    expect(res.status).toBe(400);
    expect(verifications()).toBe(0);
  });

  it('answers a batch of thousands of (empty) paths with one small refusal, not one per path', async () => {
    const res = await fetch(`${base}/trpc/auth.login${','.repeat(4_000)}?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect((await res.text()).length).toBeLessThan(2_000);
  });

  it('a batch larger than 10 calls is refused whole with 400 BAD_REQUEST, reads included', async () => {
    const res = await fetch(`${base}/trpc/${Array(11).fill('auth.me').join(',')}?batch=1&input={}`);
    expect(res.status).toBe(400);
    expect(new Set(codes((await res.json()) as Reply | Reply[], 11))).toEqual(new Set(['BAD_REQUEST']));
    const ten = await fetch(`${base}/trpc/${Array(10).fill('auth.me').join(',')}?batch=1&input={}`);
    expect(ten.status).toBe(200);
  });

  it('auth.login and auth.register inside a batch are refused: "must be sent on its own", and nothing is verified', async () => {
    const email = 'small-batch@example.test';
    await registerUser(email);
    const login = await post('auth.login,auth.login?batch=1', { 0: { email, password: 'wrong-1' }, 1: { email, password: PASSWORD } });
    expect(login.status).toBe(400);
    const replies = (await login.json()) as Reply[];
    expect(replies.map((r) => r.error?.data?.code)).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(replies[0]?.error?.message).toBe('auth.login must be sent on its own, not in a batch');
    expect(login.headers.getSetCookie()).toEqual([]);
    expect(verifications()).toBe(0);

    const register = await post('auth.register,auth.logout?batch=1', {
      0: { email: 'batched-register@example.test', password: PASSWORD, name: 'B' },
      1: {},
    });
    const registered = (await register.json()) as Reply[];
    expect(registered[0]?.error?.message).toBe('auth.register must be sent on its own, not in a batch');
    // Reads stay batchable.
    const reads = await fetch(`${base}/trpc/auth.me,catalog.categories?batch=1&input={}`);
    expect(reads.status).toBe(200);
  });

  it('30 wrong passwords as 30 concurrent HTTP requests: at most 10 tried, the rest TOO_MANY_REQUESTS', async () => {
    const email = 'parallel-guess@example.test';
    await registerUser(email);
    const replies = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const res = await post('auth.login', { email, password: `wrong-guess-${i}` });
        return ((await res.json()) as Reply).error?.data?.code ?? 'OK';
      }),
    );
    expectAtMostTenTried(replies);
    expect(tally(replies).TOO_MANY_REQUESTS ?? 0).toBeGreaterThanOrEqual(20);
  });

  it('30 login frames sent at once over one WebSocket: none verified, each refused; the socket stays up', async () => {
    const email = 'ws-guess@example.test';
    await registerUser(email);
    const s = await socket();
    for (let i = 1; i <= 30; i++) s.send(guess(i, email));
    await s.until(() => errorCodes(s.replies).length === 30);
    expectAtMostTenTried(errorCodes(s.replies));
    const refusal = s.replies.find((r) => r.error?.data?.code === 'BAD_REQUEST');
    expect(refusal?.error?.message).toMatch(/auth\.login must be sent over HTTP/);
    s.send({ id: 99, method: 'query', params: { path: 'auth.me' } });
    await s.until(() => s.replies.some((r) => r.id === 99));
    expect(s.replies.find((r) => r.id === 99)?.result?.data).toBeNull();
    s.ws.close();
  });

  it('one WebSocket frame holding an array of 30 login calls: at most 10 tried', async () => {
    const email = 'ws-array-guess@example.test';
    await registerUser(email);
    const s = await socket();
    s.send(Array.from({ length: 30 }, (_, i) => guess(i + 1, email)));
    await s.until(() => errorCodes(s.replies).length === 30);
    expectAtMostTenTried(errorCodes(s.replies));
    s.ws.close();
  });

  it('refuses a frame of more calls than the socket may send at once with one error; the socket stays up', async () => {
    const s = await socket();
    s.send(Array.from({ length: 51 }, (_, i) => ({ id: i + 1, method: 'query', params: { path: 'auth.me' } })));
    await s.until(() => s.replies.some((r) => r.error));
    s.send({ id: 99, method: 'query', params: { path: 'auth.me' } });
    await s.until(() => s.replies.some((r) => r.id === 99));
    const refusals = s.replies.filter((r) => r.error);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.error?.data?.code).toBe('TOO_MANY_REQUESTS');
    expect(refusals[0]?.error?.message).toMatch(/at most 50 calls in one message/);
    // None of the 51 ran; the next call is answered.
    expect(s.replies.filter((r) => typeof r.id === 'number' && r.id <= 51)).toHaveLength(0);
    expect(s.replies.find((r) => r.id === 99)?.result?.data).toBeNull();
    s.ws.close();
  });

  it('the right password after 9 failures signs in, and leaves neither the account nor the address blocked', async () => {
    const email = 'refund@example.test';
    await registerUser(email);
    for (let i = 0; i < 9; i++) expect((await post('auth.login', { email, password: `wrong-${i}` })).status).toBe(401);
    const ok = await post('auth.login', { email, password: PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.headers.getSetCookie()[0]).toMatch(/^shop_session=/);
    // The success reset the account's count: 10 more failures are allowed before it blocks.
    for (let i = 0; i < 10; i++) expect((await post('auth.login', { email, password: `again-${i}` })).status).toBe(401);
    expect((await post('auth.login', { email, password: PASSWORD })).status).toBe(429);
  });

  it('successful sign-ins give their attempt back: 60 in a row from one address stay allowed (the per-IP rule is 50)', async () => {
    const email = 'many-signins@example.test';
    await registerUser(email);
    for (let i = 0; i < 60; i++) expect((await post('auth.login', { email, password: PASSWORD })).status).toBe(200);
  }, 60_000);
});

describe('promotion-code guessing', () => {
  const tryCode = (id: number) => ({ id, method: 'mutation', params: { path: 'cart.applyCode', input: { code: `GUESS${id}` } } });

  it('30 codes in three batched POSTs: at most 20 looked up, the rest TOO_MANY_REQUESTS; then even a real code is refused', async () => {
    await db.orm.em
      .fork()
      .getConnection()
      .execute(`insert into promotions (code, kind, value) values ('REAL25', 'percent', 25) on conflict do nothing`);
    const answers: string[] = [];
    for (let b = 0; b < 3; b++) {
      const res = await post(
        `${Array(10).fill('cart.applyCode').join(',')}?batch=1`,
        Object.fromEntries(Array.from({ length: 10 }, (_, i) => [i, { code: `GUESS${b}${i}` }])),
      );
      answers.push(...codes((await res.json()) as Reply | Reply[], 10));
    }
    const counts = tally(answers);
    expect(counts.NOT_FOUND).toBe(20);
    expect(counts.TOO_MANY_REQUESTS).toBe(10);
    const real = await post('cart.applyCode', { code: 'REAL25' });
    expect(((await real.json()) as Reply).error?.data?.code).toBe('TOO_MANY_REQUESTS');
  });

  it('one WebSocket frame holding 30 applyCode calls: at most 20 looked up, every call answered', async () => {
    const s = await socket();
    s.send(Array.from({ length: 30 }, (_, i) => tryCode(i + 1)));
    await s.until(() => errorCodes(s.replies).length === 30);
    const counts = tally(errorCodes(s.replies));
    expect(counts.NOT_FOUND ?? 0).toBeLessThanOrEqual(20);
    expect(counts.OK ?? 0).toBe(0);
    expect((counts.NOT_FOUND ?? 0) + (counts.TOO_MANY_REQUESTS ?? 0)).toBe(30);
    s.ws.close();
  });
});

describe('password strength', () => {
  it('auth.register answers 400 BAD_REQUEST with the reason for a commonly used password', async () => {
    const res = await post('auth.register', { email: 'weak@example.test', password: 'password123', name: 'Weak' });
    expect(res.status).toBe(400);
    const reply = (await res.json()) as Reply;
    expect(reply.error?.data?.code).toBe('BAD_REQUEST');
    expect(reply.error?.message).toMatch(/^password is too easy to guess: This is a commonly used password\./);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('the seeded demo accounts still sign in: strength applies to new passwords only', async () => {
    await seedDemo(db.orm.em.fork(), { products: 0, accounts: true });
    for (const { email, password } of DEMO_ACCOUNTS) expect((await post('auth.login', { email, password })).status).toBe(200);
  });
});

describe('subscriptions over plain HTTP (server-sent events)', () => {
  it('are refused: GET of a subscription answers an error, not a stream', async () => {
    const cookie = await registerUser('sse@example.test');
    const controller = new AbortController();
    const res = await fetch(`${base}/trpc/chat.onMessage?input=${encodeURIComponent(JSON.stringify({ roomId: 'lobby' }))}`, {
      headers: { cookie, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    const type = res.headers.get('content-type');
    controller.abort();
    expect(type).not.toMatch(/event-stream/);
    expect(res.status).toBe(405);
  });
});

describe('per-socket limits', () => {
  it('answers calls past the socket’s rate with TOO_MANY_REQUESTS; the socket and server stay up', async () => {
    await app.close(0);
    await start({ socketLimits: { burst: 20, perSecond: 10, subscriptions: 50 } });
    const s = await socket();
    for (let i = 1; i <= 60; i++) s.send({ id: i, method: 'query', params: { path: 'auth.me' } });
    await s.until(() => errorCodes(s.replies).length === 60);
    const counts = tally(errorCodes(s.replies));
    expect(counts.OK ?? 0).toBeGreaterThanOrEqual(20);
    expect(counts.OK ?? 0).toBeLessThan(30);
    expect(counts.TOO_MANY_REQUESTS).toBe(60 - (counts.OK ?? 0));
    // The bucket refills: a call a moment later is answered.
    await sleep(300);
    s.send({ id: 100, method: 'query', params: { path: 'auth.me' } });
    await s.until(() => s.replies.some((r) => r.id === 100));
    expect(s.replies.find((r) => r.id === 100)?.error).toBeUndefined();
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
  });

  it('refuses a subscription past the socket’s cap with a reason; those running keep running', async () => {
    await app.close(0);
    await start({ socketLimits: { burst: 50, perSecond: 20, subscriptions: 3 } });
    const cookie = await registerUser('many-streams@example.test');
    const s = await socket(cookie);
    for (let i = 1; i <= 5; i++) s.send({ id: i, method: 'subscription', params: { path: 'chat.onMessage', input: { roomId: 'lobby' } } });
    await s.until(() => s.replies.filter((r) => r.result?.type === 'started' || r.error).length === 5);
    expect(s.replies.filter((r) => r.result?.type === 'started')).toHaveLength(3);
    const refused = s.replies.filter((r) => r.error);
    expect(refused.map((r) => r.error?.data?.code)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    expect(refused[0]?.error?.message).toMatch(/at most 3 open subscriptions/);
    // Stopping one makes room for another. Which three started depends on which of the five
    // calls' user lookups came back first.
    const running = s.replies.find((r) => r.result?.type === 'started')?.id;
    s.send({ id: running, method: 'subscription.stop' });
    await s.until(() => s.replies.some((r) => r.id === running && r.result?.type === 'stopped'));
    s.send({ id: 6, method: 'subscription', params: { path: 'chat.onMessage', input: { roomId: 'lobby' } } });
    await s.until(() => s.replies.some((r) => r.id === 6));
    expect(s.replies.find((r) => r.id === 6)?.result?.type).toBe('started');
    s.ws.close();
  });
});

describe('a Cookie header the session codec cannot decode', () => {
  const MALFORMED = 'shop_session=%E0%A4%A';

  it('reads as signed out over HTTP: auth.me answers 200 null', async () => {
    const res = await fetch(`${base}/trpc/auth.me`, { headers: { cookie: MALFORMED } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Reply).result?.data).toBeNull();
  });

  it('reads as a guest on a WebSocket', async () => {
    const s = await socket(MALFORMED);
    s.send({ id: 1, method: 'query', params: { path: 'auth.me' } });
    await s.until(() => s.replies.some((r) => r.id === 1));
    expect(s.replies.find((r) => r.id === 1)).toMatchObject({ result: { type: 'data', data: null } });
    s.ws.close();
  });
});
