import { sleep } from '@shop/proc';
import { describe, expect, it } from 'vitest';
import { abuseCluster, base, cluster, countRequests, db, LOGIN_WINDOW_S, placeOrder, refused, row, writtenSince } from '../src/abuse.ts';
import { digest } from '../src/digest.ts';
import { mutate, PASSWORD, query, raw, register } from '../src/http.ts';
import { liveClient, rawSocket, type SocketReply } from '../src/live.ts';

abuseCluster('abuse: brute force, replay');

describe('sessions', () => {
  it('refuses a session cookie replayed after sign-out, over HTTP and WebSocket', async () => {
    const user = await register(base, 'leaver');
    await placeOrder(user.cookie);
    const stolen = user.cookie;
    expect((await mutate(base, 'auth.logout', undefined, user.cookie)).status).toBe(200);
    countRequests(3);
    // Every instance sees it (the user is cached up to 2 s per instance): ask each one directly.
    for (const instance of cluster.instances) {
      expect(refused(await query(instance.url, 'auth.me', undefined, stolen)).data).toBeNull();
      expect(refused(await query(instance.url, 'orders.list', undefined, stolen)).code).toBe('UNAUTHORIZED');
      expect(refused(await mutate(instance.url, 'chat.send', { roomId: 'lobby', text: 'ghost' }, stolen)).code).toBe('UNAUTHORIZED');
    }
    const live = liveClient(base, stolen);
    const error = await new Promise<unknown>((resolve) => {
      live.api.orders.onUpdate.subscribe(undefined, { onData: () => resolve('data'), onError: resolve });
    });
    live.socket.close();
    expect(refused((error as { data?: { code?: string } }).data?.code)).toBe('UNAUTHORIZED');
  });

  it('answers brute force with TOO_MANY_REQUESTS, and the real user signs in once the window has passed', async () => {
    const user = await register(base, 'target');
    const password = PASSWORD;
    const attempts: string[] = [];
    for (let i = 0; i < 14; i++)
      attempts.push((await mutate(base, 'auth.login', { email: user.email, password: `guess-${i}` })).code ?? 'OK');
    countRequests(attempts.length);
    // 10 failures per email, then refused: also the right password, so guessing cannot go on.
    expect(attempts.slice(0, 10)).toEqual(Array(10).fill('UNAUTHORIZED'));
    expect(attempts.slice(10)).toEqual(Array(4).fill('TOO_MANY_REQUESTS'));
    const locked = await mutate(base, 'auth.login', { email: user.email, password });
    expect(refused(locked).code).toBe('TOO_MANY_REQUESTS');
    expect(locked.status).toBe(429);
    // Another user is not affected.
    const bystander = await register(base, 'bystander');
    expect((await mutate(base, 'auth.login', { email: bystander.email, password })).status).toBe(200);
    countRequests();

    // The refusal says how long to wait: no more than this cluster's window, then really wait it out.
    const waitS = Number(/try again in (\d+) s/.exec(locked.message)?.[1]);
    expect(waitS).toBeGreaterThan(0);
    expect(waitS).toBeLessThanOrEqual(LOGIN_WINDOW_S);
    await sleep(waitS * 1_000 + 250);
    const again = await mutate(base, 'auth.login', { email: user.email, password });
    countRequests();
    expect(again.status).toBe(200);
    expect((await query(base, 'auth.me', undefined, again.setCookie[0]?.split(';')[0])).data).toMatchObject({ email: user.email });
  });
});

// What one request or one socket can ask for at once. Each case records its own summary row:
// `requests` the hostile calls sent, `failures` those not answered as they must be.
describe('one request, many tries', () => {
  const codeOf = (r: SocketReply) => r.error?.data?.code ?? 'OK';
  const calls = (replies: SocketReply[]) => replies.filter((r) => typeof r.id === 'number');
  const count = (codes: string[], code: string) => codes.filter((c) => c === code).length;

  it('batched sign-in brute force over HTTP: at most 10 guesses tried per email, the rest refused', async () => {
    const user = await register(base, 'batch-target');
    const before = await digest(db.url);
    const guesses = Array.from({ length: 30 }, (_, i) => ({ email: user.email, password: `guess-${i}` }));
    const post = (paths: string[], inputs: unknown[]) =>
      raw(base, {
        method: 'POST',
        path: `/trpc/${paths.join(',')}?batch=1`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Object.fromEntries(inputs.map((input, i) => [i, input]))),
      });
    let wrong = 0;
    // 30 in one batch: over the batch cap, refused whole before anything runs.
    const big = await post(Array(30).fill('auth.login'), guesses);
    if (big.status !== 400) wrong++;
    // 2 in one batch: sign-in must come on its own.
    const small = await post(['auth.login', 'auth.login'], guesses.slice(0, 2));
    const smallCodes = (JSON.parse(small.text) as SocketReply[]).map(codeOf);
    wrong += smallCodes.filter((c) => c !== 'BAD_REQUEST').length;
    // 30 single requests at once, spread by Nginx over the three instances: one count in Redis.
    const parallel = await Promise.all(guesses.map((g) => mutate(base, 'auth.login', g)));
    const codes = parallel.map((r) => r.code ?? 'OK');
    const tried = count(codes, 'UNAUTHORIZED');
    // More than 10 tried, or anything but UNAUTHORIZED and TOO_MANY_REQUESTS (a sign-in, a 5xx).
    wrong += Math.max(0, tried - 10) + (codes.length - tried - count(codes, 'TOO_MANY_REQUESTS'));
    row(
      'abuse: batched sign-in brute force (HTTP)',
      2 + parallel.length,
      wrong,
      '1 batch of 30, 1 of 2, 30 concurrent',
      await writtenSince(before),
    );
    expect(big.status).toBe(400);
    expect(smallCodes).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(count(codes, 'UNAUTHORIZED')).toBeLessThanOrEqual(10);
    expect(count(codes, 'UNAUTHORIZED') + count(codes, 'TOO_MANY_REQUESTS')).toBe(30);
  });

  it('a WebSocket burst of login calls: refused on the socket, none tried, the socket stays up', async () => {
    const user = await register(base, 'ws-target');
    const before = await digest(db.url);
    const socket = await rawSocket(base);
    const guess = (id: number) => ({
      id,
      method: 'mutation',
      params: { path: 'auth.login', input: { email: user.email, password: `g${id}` } },
    });
    for (let id = 1; id <= 30; id++) socket.send(guess(id));
    socket.send(Array.from({ length: 30 }, (_, i) => guess(100 + i)));
    await socket.until((r) => calls(r).length >= 60);
    const codes = calls(socket.replies).map(codeOf);
    socket.send({ id: 999, method: 'query', params: { path: 'auth.me' } });
    await socket.until((r) => r.some((x) => x.id === 999));
    socket.ws.close();
    // Each refused as a sign-in over a socket, or (past the socket's bucket of 50) as too many calls.
    const wrong = codes.filter((c) => c !== 'BAD_REQUEST' && c !== 'TOO_MANY_REQUESTS').length;
    row('abuse: WebSocket burst of login calls', codes.length, wrong, '30 frames + 1 frame of 30 calls', await writtenSince(before));
    expect(codes).toHaveLength(60);
    expect(wrong).toBe(0);
    expect(count(codes, 'BAD_REQUEST')).toBeGreaterThanOrEqual(50);
    // Nothing was counted against the account: the real user signs in at once.
    expect((await mutate(base, 'auth.login', { email: user.email, password: PASSWORD })).status).toBe(200);
  });

  it('a malformed cookie header reads as signed out on every instance, over HTTP and WebSocket', async () => {
    const cookie = 'shop_session=%E0%A4%A';
    const before = await digest(db.url);
    const replies = [await query(base, 'auth.me', undefined, cookie)];
    for (const instance of cluster.instances) replies.push(await query(instance.url, 'auth.me', undefined, cookie));
    const socket = await rawSocket(base, { cookie });
    socket.send({ id: 1, method: 'query', params: { path: 'auth.me' } });
    await socket.until((r) => r.some((x) => x.id === 1));
    const live = socket.replies.find((r) => r.id === 1);
    socket.ws.close();
    const wrong = replies.filter((r) => r.status !== 200 || r.data !== null).length + (live?.result?.data === null ? 0 : 1);
    row('abuse: malformed cookie header', replies.length + 1, wrong, 'sequential, every instance', await writtenSince(before));
    for (const reply of replies) expect(reply).toMatchObject({ status: 200, data: null });
    expect(live).toMatchObject({ result: { type: 'data', data: null } });
  });

  it('per-socket caps: calls past the rate get TOO_MANY_REQUESTS, subscriptions past 50 are refused, the socket stays up', async () => {
    const { cookie } = await register(base, 'busy-socket');
    const before = await digest(db.url);
    // 120 calls at once against a bucket of 50 (refilled at 20/s).
    const burst = await rawSocket(base, { cookie });
    for (let id = 1; id <= 120; id++) burst.send({ id, method: 'query', params: { path: 'auth.me' } });
    await burst.until((r) => calls(r).length >= 120);
    const codes = calls(burst.replies).map(codeOf);
    await sleep(500);
    burst.send({ id: 999, method: 'query', params: { path: 'auth.me' } });
    await burst.until((r) => r.some((x) => x.id === 999));
    const later = burst.replies.find((r) => r.id === 999);
    burst.ws.close();

    // 50 subscriptions (the whole bucket), then, once it has refilled, 5 more: over the cap.
    const streams = await rawSocket(base, { cookie });
    const subscribe = (id: number) => ({ id, method: 'subscription', params: { path: 'chat.onMessage', input: { roomId: 'lobby' } } });
    for (let id = 1; id <= 50; id++) streams.send(subscribe(id));
    await streams.until((r) => calls(r).length >= 50);
    await sleep(1_000);
    for (let id = 51; id <= 55; id++) streams.send(subscribe(id));
    await streams.until((r) => calls(r).length >= 55);
    const started = calls(streams.replies).filter((r) => r.result?.type === 'started').length;
    const overCap = calls(streams.replies).filter((r) => typeof r.id === 'number' && r.id > 50);
    streams.ws.close();

    const ok = count(codes, 'OK');
    const wrong =
      (ok >= 50 && ok < 80 ? 0 : 1) +
      codes.filter((c) => c !== 'OK' && c !== 'TOO_MANY_REQUESTS').length +
      (later?.error ? 1 : 0) +
      Math.abs(started - 50) +
      overCap.filter((r) => codeOf(r) !== 'TOO_MANY_REQUESTS').length;
    row(
      'abuse: per-socket call rate and subscription cap',
      120 + 1 + 55,
      wrong,
      '120 calls at once; 55 subscriptions',
      await writtenSince(before),
    );
    expect(ok).toBeGreaterThanOrEqual(50);
    expect(ok).toBeLessThan(80);
    expect(count(codes, 'TOO_MANY_REQUESTS')).toBe(120 - ok);
    expect(later?.error).toBeUndefined();
    expect(started).toBe(50);
    expect(overCap.map(codeOf)).toEqual(Array(5).fill('TOO_MANY_REQUESTS'));
    expect(overCap[0]?.error?.message).toMatch(/at most 50 open subscriptions/);
  });

  it('refuses subscriptions over plain HTTP (server-sent events) with 405, GET or POST', async () => {
    const { cookie } = await register(base, 'sse');
    const before = await digest(db.url);
    const input = encodeURIComponent(JSON.stringify({ roomId: 'lobby' }));
    const replies = [
      await raw(
        base,
        { method: 'GET', path: `/trpc/chat.onMessage?input=${input}`, headers: { cookie, accept: 'text/event-stream' } },
        5_000,
        500,
      ),
      await raw(base, { method: 'GET', path: '/trpc/orders.onUpdate', headers: { cookie } }, 5_000, 500),
      await raw(
        base,
        {
          method: 'POST',
          path: '/trpc/chat.onMessage',
          headers: { cookie, 'content-type': 'application/json' },
          body: '{"roomId":"lobby"}',
        },
        5_000,
        500,
      ),
    ];
    const wrong = replies.filter((r) => r.status !== 405 || String(r.headers['content-type']).includes('event-stream')).length;
    row('abuse: subscriptions over HTTP (SSE)', replies.length, wrong, 'sequential', await writtenSince(before));
    for (const reply of replies) {
      expect(reply.status).toBe(405);
      expect(String(reply.headers['content-type'])).not.toContain('event-stream');
      expect(JSON.parse(reply.text).error.data.code).toBe('METHOD_NOT_SUPPORTED');
    }
  });
});
