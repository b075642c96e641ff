// B. Abuse, through the cluster (Nginx in front of three instances): cross-site writes, foreign
// WebSockets, reading what belongs to someone else, admin as a shopper, sign-in brute force,
// replayed cookies after sign-out, and the security headers every response carries.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SESSION_COOKIE, TOTP_PERIOD_S, totpCode } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type Cluster, defaultWebDist, startComposeNginx } from '@shop/nginx';
import { sleep } from '@shop/proc';
import type { Order, ProductSummary } from '@shop/schemas';
import { sealData } from 'iron-session';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SESSION_SECRET, shopCluster, UNTHROTTLED } from '../src/cluster.ts';
import { changedTables, type Digest, digest } from '../src/digest.ts';
import { cookieOf, DEMO, mutate, PASSWORD, query, raw, register, signIn, type TrpcReply } from '../src/http.ts';
import { liveClient, rawSocket, type SocketReply, upgradeStatus } from '../src/live.ts';
import { freePort } from '../src/ports.ts';
import { exitOfInstance, type Service, type ShopInstance, startInstance, startRedis, stopAll } from '../src/processes.ts';
import { record } from '../src/summary.ts';

const ADDRESS = { name: 'Ada Lovelace', line1: '12 Analytical St', city: 'London', postalCode: 'N1 9GU', country: 'GB' };
const EVIL = 'http://evil.example';
const execFileAsync = promisify(execFile);
// The instances' sign-in window, short so the brute-force test can wait for it to pass; long
// enough that its 15 sequential attempts (each an argon2 verification) fit well inside it.
const LOGIN_WINDOW_S = 10;

let db: TestDatabase;
let redis: Service;
let cluster: Cluster;
let base: string;
let requests = 0;
let failedTests = 0;
// The second-factor scenario has its own summary row.
const staffFactor = { requests: 0, failed: false, written: 0 };

/** Counts a hostile request (its refusal is asserted by the caller). */
function refused<T>(value: T): T {
  requests++;
  return value;
}

/** Tables that refused mutations changed, counted for the summary. */
let writtenByRefused = 0;
async function expectUnchanged(before: Digest): Promise<void> {
  const changed = changedTables(before, await digest(db.url));
  writtenByRefused += changed.length;
  expect(changed).toEqual([]);
}

/**
 * A case's own summary row: `sent` the calls it made, `wrong` those not answered as they must be,
 * `written` the tables (or rows) that hostile calls changed when they should have changed none.
 */
function row(scenario: string, sent: number, wrong: number, load: string, written: number, faults = 'hostile requests through Nginx') {
  record(inject('summaryFile'), { scenario, load, faults, requests: sent, failures: wrong, lostOrDuplicated: written });
}
/** Tables changed since `before`: the tables' digest once the case's own set-up was done. */
const writtenSince = async (before: Digest) => changedTables(before, await digest(db.url)).length;

async function inStockProduct(): Promise<ProductSummary> {
  const list = await query(base, 'catalog.list', { inStock: true, limit: 1, sort: 'price_asc' });
  const product = (list.data as { items: ProductSummary[] }).items[0];
  if (!product) throw new Error('no product in stock');
  return product;
}

async function placeOrder(cookie: string): Promise<Order> {
  const product = await inStockProduct();
  expect((await mutate(base, 'cart.add', { productId: product.id }, cookie)).status).toBe(200);
  const placed = await mutate(base, 'checkout.placeOrder', { idempotencyKey: randomUUID(), shippingAddress: ADDRESS }, cookie);
  expect(placed.status).toBe(200);
  return placed.data as Order;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  cluster = await shopCluster({
    databaseUrl: db.url,
    redisUrl: redis.url,
    rateLimits: UNTHROTTLED,
    env: { LOGIN_WINDOW_S: String(LOGIN_WINDOW_S) },
  });
  base = cluster.url;
});
afterEach(({ task }) => {
  if (!task.result?.errors?.length) return;
  if (task.name === STAFF_FACTOR_TEST) staffFactor.failed = true;
  else failedTests++;
});
afterAll(async () => {
  await cluster?.stop();
  await stopAll();
  await db?.drop();
  record(inject('summaryFile'), {
    scenario: 'abuse: CSRF, foreign WS, IDOR, admin, brute force, replay',
    load: 'sequential',
    faults: 'hostile requests through Nginx',
    requests,
    // Scenarios whose hostile requests were not all refused as they should be.
    failures: failedTests,
    lostOrDuplicated: writtenByRefused,
  });
  record(inject('summaryFile'), {
    scenario: `abuse: ${STAFF_FACTOR_TEST}`,
    load: 'sequential',
    faults: 'password-only staff sessions on every instance',
    requests: staffFactor.requests,
    failures: staffFactor.failed ? 1 : 0,
    lostOrDuplicated: staffFactor.written,
  });
});

describe('cross-site writes', () => {
  it('refuses form, text/plain and multipart POSTs and foreign origins, and nothing is written', async () => {
    const { cookie } = await register(base, 'victim');
    const product = await inStockProduct();
    const before = await digest(db.url);
    const body = JSON.stringify({ productId: product.id });
    const attempts: { headers: Record<string, string>; body: string }[] = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL }, body: `productId=${product.id}` },
      { headers: { 'content-type': 'text/plain', origin: EVIL }, body },
      { headers: { 'content-type': 'text/plain;charset=UTF-8' }, body },
      {
        headers: { 'content-type': 'multipart/form-data; boundary=x', origin: EVIL },
        body: `--x\r\nContent-Disposition: form-data; name="productId"\r\n\r\n${product.id}\r\n--x--\r\n`,
      },
      { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n' },
      { headers: { 'content-type': 'application/json', origin: EVIL }, body },
      { headers: { 'content-type': 'application/json', origin: 'null' }, body },
      { headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body },
      { headers: {}, body },
    ];
    for (const path of ['cart.add', 'chat.send', 'checkout.placeOrder', 'auth.logout']) {
      for (const a of attempts) {
        const reply = refused(await raw(base, { method: 'POST', path: `/trpc/${path}`, headers: { ...a.headers, cookie }, body: a.body }));
        expect(reply.status, `${path} ${JSON.stringify(a.headers)}`).toBe(403);
        expect(JSON.parse(reply.text).error.data.code).toBe('FORBIDDEN');
      }
    }
    await expectUnchanged(before);
    // The same request from the shop's own page goes through, so the refusals were about the origin.
    const own = await mutate(base, 'cart.add', { productId: product.id }, cookie, undefined, {
      origin: base,
      'sec-fetch-site': 'same-origin',
    });
    requests++;
    expect(own.status).toBe(200);
    // auth.logout was refused above: the session still works.
    expect((await query(base, 'auth.me', undefined, cookie)).data).toMatchObject({ name: 'victim' });
  });

  it('refuses a WebSocket upgrade from a foreign Origin, and allows the shop’s own', async () => {
    const { cookie } = await register(base, 'ws-user');
    expect(refused(await upgradeStatus(base, { cookie, origin: EVIL }))).toBe(403);
    expect(refused(await upgradeStatus(base, { cookie, origin: 'null' }))).toBe(403);
    requests++;
    expect(await upgradeStatus(base, { cookie, origin: base })).toBe(101);
  });
});

describe('reading or changing what belongs to someone else', () => {
  it('answers NOT_FOUND for another user’s order, support room and cart line', async () => {
    const owner = await register(base, 'owner');
    const other = await register(base, 'other');
    const order = await placeOrder(owner.cookie);
    const supportRoom = `support:${owner.id}`;
    expect((await mutate(base, 'chat.send', { roomId: supportRoom, text: 'my private question' }, owner.cookie)).status).toBe(200);
    const product = await inStockProduct();
    expect((await mutate(base, 'cart.add', { productId: product.id, quantity: 2 }, owner.cookie)).status).toBe(200);

    const checks = [
      await query(base, 'orders.byId', { id: order.id }, other.cookie),
      await mutate(base, 'orders.cancel', { id: order.id }, other.cookie),
      await query(base, 'chat.history', { roomId: supportRoom }, other.cookie),
      await mutate(base, 'chat.send', { roomId: supportRoom, text: 'let me in' }, other.cookie),
      // Carts have no id: another user's cart is reached only through its product lines.
      await mutate(base, 'cart.update', { productId: product.id, quantity: 5 }, other.cookie),
    ];
    for (const reply of checks) expect(refused(reply).code).toBe('NOT_FOUND');

    // Over the WebSocket too.
    const live = liveClient(base, other.cookie);
    const error = await new Promise<unknown>((resolve) => {
      live.api.chat.onMessage.subscribe({ roomId: supportRoom }, { onData: () => resolve('data'), onError: resolve });
    });
    live.socket.close();
    expect(refused((error as { data?: { code?: string } }).data?.code)).toBe('NOT_FOUND');

    // The owner's things are untouched and the other user sees none of them.
    expect((await query(base, 'orders.byId', { id: order.id }, owner.cookie)).data).toMatchObject({ id: order.id, status: 'placed' });
    expect((await query(base, 'cart.get', undefined, owner.cookie)).data).toMatchObject({ itemCount: 2 });
    expect((await query(base, 'cart.get', undefined, other.cookie)).data).toMatchObject({ itemCount: 0 });
    expect((await query(base, 'orders.list', undefined, other.cookie)).data).toMatchObject({ items: [] });
    const rooms = (await query(base, 'chat.rooms', undefined, other.cookie)).data as { id: string }[];
    expect(rooms.map((r) => r.id)).not.toContain(supportRoom);
    requests += 10;
  });

  it('answers FORBIDDEN to every admin procedure called by a shopper, UNAUTHORIZED to a guest', async () => {
    const shopper = await signIn(base, DEMO.shopper.email, DEMO.shopper.password);
    const order = await placeOrder(shopper);
    const product = await inStockProduct();
    const before = await digest(db.url);
    const calls = [
      (c: string) =>
        mutate(base, 'admin.product.upsert', { slug: 'evil', name: 'Evil', description: '', priceCents: 1, categorySlug: 'office' }, c),
      (c: string) => mutate(base, 'admin.product.adjustStock', { productId: product.id, delta: 1_000 }, c),
      (c: string) => query(base, 'admin.order.list', undefined, c),
      (c: string) => mutate(base, 'admin.order.setStatus', { id: order.id, status: 'shipped' }, c),
    ];
    for (const call of calls) {
      expect(refused(await call(shopper)).code).toBe('FORBIDDEN');
      expect(refused(await call('')).code).toBe('UNAUTHORIZED');
    }
    await expectUnchanged(before);
  });
});

const STAFF_FACTOR_TEST = 'staff session without second factor cannot call admin.*';

describe('staff second factor', () => {
  it(STAFF_FACTOR_TEST, async () => {
    const staff = await register(base, 'mfa-staff');
    await db.orm.em.getConnection().execute(`update users set role = 'staff' where id = ?`, [staff.id]);
    const sent = <T>(reply: T): T => {
      staffFactor.requests++;
      return reply;
    };
    // One session signed in with the password only (another device), one that enrols.
    const passwordOnly = cookieOf(sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD })));
    const { otpauthUri, secret } = sent(await mutate(base, 'auth.mfa.setup', undefined, staff.cookie)).data as {
      otpauthUri: string;
      secret: string;
    };
    expect(otpauthUri).toContain(secret);
    const enabled = sent(await mutate(base, 'auth.mfa.enable', { code: totpCode(secret) }, staff.cookie));
    expect((enabled.data as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
    const verified = cookieOf(enabled);

    const order = await placeOrder(await signIn(base, DEMO.shopper.email, DEMO.shopper.password));
    const product = await inStockProduct();
    const before = await digest(db.url);
    const calls = [
      (c: string, at: string) =>
        mutate(at, 'admin.product.upsert', { slug: 'no-factor', name: 'No', description: '', priceCents: 1, categorySlug: 'office' }, c),
      (c: string, at: string) => mutate(at, 'admin.product.adjustStock', { productId: product.id, delta: 1_000 }, c),
      (c: string, at: string) => query(at, 'admin.order.list', undefined, c),
      (c: string, at: string) => mutate(at, 'admin.order.setStatus', { id: order.id, status: 'shipped' }, c),
    ];
    // Every instance refuses the password-only session, whichever one it reaches.
    for (const at of [base, ...cluster.instances.map((i) => i.url)]) {
      for (const call of calls) {
        const reply = sent(await call(passwordOnly, at));
        expect(reply.code).toBe('FORBIDDEN');
        expect(reply.reason).toBe('MFA_REQUIRED');
      }
    }
    const changed = changedTables(before, await digest(db.url));
    staffFactor.written = changed.length;
    expect(changed).toEqual([]);

    // Signing in again without a code, or with a wrong one, is refused with MFA_REQUIRED.
    for (const extra of [{}, { totp: '000000' }, { recoveryCode: 'aaaa-bbbb-cccc-dddd' }]) {
      const reply = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, ...extra }));
      expect(reply.code).toBe('UNAUTHORIZED');
      expect(reply.reason).toBe('MFA_REQUIRED');
    }
    // The session that enrolled, and a sign-in with the next code, may; that code only once.
    expect(sent(await query(base, 'admin.order.list', undefined, verified)).status).toBe(200);
    const code = totpCode(secret, Date.now() + TOTP_PERIOD_S * 1000);
    const withCode = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, totp: code }));
    expect(withCode.status).toBe(200);
    expect(sent(await query(base, 'admin.order.list', undefined, cookieOf(withCode))).status).toBe(200);
    const replayed = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, totp: code }));
    expect(replayed.reason).toBe('MFA_REQUIRED');
  });
});

describe('sessions', () => {
  it('refuses a session cookie replayed after sign-out, over HTTP and WebSocket', async () => {
    const user = await register(base, 'leaver');
    await placeOrder(user.cookie);
    const stolen = user.cookie;
    expect((await mutate(base, 'auth.logout', undefined, user.cookie)).status).toBe(200);
    requests += 3;
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
    requests += attempts.length;
    // 10 failures per email, then refused: also the right password, so guessing cannot go on.
    expect(attempts.slice(0, 10)).toEqual(Array(10).fill('UNAUTHORIZED'));
    expect(attempts.slice(10)).toEqual(Array(4).fill('TOO_MANY_REQUESTS'));
    const locked = await mutate(base, 'auth.login', { email: user.email, password });
    expect(refused(locked).code).toBe('TOO_MANY_REQUESTS');
    expect(locked.status).toBe(429);
    // Another user is not affected.
    const bystander = await register(base, 'bystander');
    expect((await mutate(base, 'auth.login', { email: bystander.email, password })).status).toBe(200);
    requests++;

    // The refusal says how long to wait: no more than this cluster's window, then really wait it out.
    const waitS = Number(/try again in (\d+) s/.exec(locked.message)?.[1]);
    expect(waitS).toBeGreaterThan(0);
    expect(waitS).toBeLessThanOrEqual(LOGIN_WINDOW_S);
    await sleep(waitS * 1_000 + 250);
    const again = await mutate(base, 'auth.login', { email: user.email, password });
    requests++;
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

describe('response headers through Nginx', () => {
  it('carries the security headers on the SPA, the API and errors, and no server version', async () => {
    const replies = [
      await raw(base, { method: 'GET', path: '/' }),
      await raw(base, { method: 'GET', path: '/orders/123' }),
      await raw(base, { method: 'GET', path: '/trpc/catalog.categories' }),
      await raw(base, { method: 'GET', path: '/trpc/orders.list' }),
      await raw(base, { method: 'POST', path: '/trpc/cart.add', headers: { 'content-type': 'text/plain', origin: EVIL }, body: '{}' }),
      await raw(base, { method: 'GET', path: '/no/such/file.js' }),
    ];
    requests += replies.length;
    for (const reply of replies) {
      const h = reply.headers;
      const csp = String(h['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['x-frame-options']).toBe('DENY');
      expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(h['x-request-id']).toMatch(/^[0-9a-f-]{16,}$/);
      expect(h.server ?? '').not.toMatch(/\d/);
      expect(h['x-powered-by']).toBeUndefined();
    }
    // The SPA's HTML is never cached; the API's private answers are not stored by caches.
    expect(String(replies[0]?.headers['cache-control'])).toMatch(/no-cache|no-store/);
    expect(String(replies[3]?.headers['cache-control'])).toMatch(/no-store|private/);
  });
});

describe('sign-up', () => {
  it('refuses common passwords at sign-up with zxcvbn’s reason, and creates no account', async () => {
    const email = `signup-${randomUUID().slice(0, 8)}@example.test`;
    const localPart = email.slice(0, email.indexOf('@'));
    const before = await digest(db.url);
    // Each password with the reason zxcvbn gives for it.
    const weak: [string, RegExp][] = [
      ['password123', /commonly used password/],
      ['qwertyuiop', /frequently used password/],
      [`${localPart}123`, /personal or page related data/],
    ];
    const replies = [];
    for (const [password] of weak) replies.push(await mutate(base, 'auth.register', { email, password, name: 'Signup' }));
    const accounts = await db.orm.em.getConnection().execute('select id from users where email = ?', [email]);
    const wrong =
      replies.filter((r, i) => r.status !== 400 || r.code !== 'BAD_REQUEST' || !weak[i]?.[1].test(r.message) || r.setCookie.length > 0)
        .length + accounts.length;
    row('abuse: common passwords refused at sign-up', replies.length, wrong, 'sequential', await writtenSince(before));
    replies.forEach((reply, i) => {
      expect(reply, weak[i]?.[0]).toMatchObject({ status: 400, code: 'BAD_REQUEST', setCookie: [] });
      expect(reply.message).toMatch(/^password is too easy to guess: \S/);
      expect(reply.message).toMatch(weak[i]?.[1] ?? /./);
    });
    expect(accounts).toEqual([]);
    // The email itself was fine: a strong password signs it up.
    expect((await mutate(base, 'auth.register', { email, password: PASSWORD, name: 'Signup' })).status).toBe(200);
  });
});

// The fallback secret that once sat in apps/server/src/env.ts, published with the source.
const PUBLISHED_SECRET = 'development-only-session-secret-do-not-deploy';

/** A session cookie as packages/auth/src/session.ts seals it, for `user`, with `secret`. */
async function sealedCookie(secret: string, user: { id: string; sv: number }): Promise<string> {
  const now = Date.now();
  const seal = await sealData({ uid: user.id, sv: user.sv, iat: now, seen: now }, { password: { '1': secret } });
  return `${SESSION_COOKIE}=${seal}`;
}

async function staffOf(database: TestDatabase): Promise<{ id: string; sv: number }> {
  const [staff] = await database.orm.em
    .getConnection()
    .execute<{ id: string; sv: number }[]>('select id, session_version as sv from users where email = ?', [DEMO.staff.email]);
  if (!staff) throw new Error(`no ${DEMO.staff.email} in ${database.url}`);
  return staff;
}

async function countRows(database: TestDatabase, table: 'users' | 'products'): Promise<number> {
  const [counted] = await database.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return counted?.n ?? -1;
}

describe('secrets and demo data', () => {
  it('no published secret seals a cookie: a staff cookie forged with it opens no session, on the cluster or a default install', async () => {
    const before = await digest(db.url);
    // A default install: `pnpm start` with no NODE_ENV and no SESSION_SECRET, its own data folder.
    const fresh = await createTestDatabase(inject('pgAdminUrl'));
    const dataDir = await mkdtemp(join(tmpdir(), 'shop-default-install-'));
    let install: ShopInstance | undefined;
    try {
      install = await startInstance('default-install', {
        NODE_ENV: undefined,
        SESSION_SECRET: undefined,
        DATA_DIR: dataDir,
        DATABASE_URL: fresh.url,
        SEED_PRODUCTS: '5',
        LOG_LEVEL: 'silent',
      });
      const environ = (await readFile(`/proc/${install.pid}/environ`, 'utf8')).split('\0');
      const secretFile = join(dataDir, 'session-secret');
      const mode = (await stat(secretFile)).mode & 0o777;

      const targets = [
        { at: [base, ...cluster.instances.map((i) => i.url)], staff: await staffOf(db), secret: SESSION_SECRET },
        { at: [install.url], staff: await staffOf(fresh), secret: (await readFile(secretFile, 'utf8')).trim() },
      ];
      const seen: { url: string; me: TrpcReply; orders: TrpcReply; control: TrpcReply }[] = [];
      for (const { at, staff, secret } of targets) {
        const forged = await sealedCookie(PUBLISHED_SECRET, staff);
        // The same data sealed with the real secret opens a staff session: the refusal is the secret's.
        const genuine = await sealedCookie(secret, staff);
        for (const url of at) {
          seen.push({
            url,
            me: await query(url, 'auth.me', undefined, forged),
            orders: await query(url, 'admin.order.list', undefined, forged),
            control: await query(url, 'auth.me', undefined, genuine),
          });
        }
      }
      const sent = seen.length * 3;
      const wrong = seen
        .flatMap(({ me, orders, control }) => [
          me.status === 200 && me.data === null,
          orders.code === 'UNAUTHORIZED',
          (control.data as { email?: string } | null)?.email === DEMO.staff.email,
        ])
        .filter((ok) => !ok).length;
      row(
        'abuse: no published secret seals a cookie',
        sent,
        wrong,
        'sequential, every instance and a default install',
        await writtenSince(before),
        'staff cookie sealed with the published secret',
      );
      for (const { url, me, orders, control } of seen) {
        expect(me, url).toMatchObject({ status: 200, data: null });
        expect(orders.code, url).toBe('UNAUTHORIZED');
        expect(control.data, url).toMatchObject({ email: DEMO.staff.email, role: 'staff' });
      }
      expect(environ.filter((v) => /^(SESSION_SECRET|NODE_ENV)=/.test(v))).toEqual([]);
      expect(mode).toBe(0o600);
    } finally {
      await install?.stop('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
      await fresh.drop();
    }
  });

  it('a production start refuses the embedded database and creates no demo account', async () => {
    const secret = 'production-start-secret-0123456789abcdefghij';
    const dataDir = await mkdtemp(join(tmpdir(), 'shop-production-'));
    const fresh = await createTestDatabase(inject('pgAdminUrl'));
    let server: ShopInstance | undefined;
    try {
      // No DATABASE_URL: the embedded database would live in the container or checkout.
      const embedded = await exitOfInstance('production-embedded', {
        NODE_ENV: 'production',
        SESSION_SECRET: secret,
        DATABASE_URL: undefined,
        DATA_DIR: dataDir,
      });
      // A database of its own, asking for the demo catalog: products, and no account at all.
      server = await startInstance('production', {
        NODE_ENV: 'production',
        SESSION_SECRET: secret,
        DATABASE_URL: fresh.url,
        DATA_DIR: dataDir,
        SEED_PRODUCTS: '5',
        COOKIE_SECURE: 'false',
        LOG_LEVEL: 'silent',
      });
      const signIns = [await mutate(server.url, 'auth.login', DEMO.staff), await mutate(server.url, 'auth.login', DEMO.shopper)];
      const users = await countRows(fresh, 'users');
      const products = await countRows(fresh, 'products');
      const wrong = (embedded.code === 78 ? 0 : 1) + signIns.filter((r) => r.code !== 'UNAUTHORIZED').length;
      row(
        'abuse: production start, no demo account, no embedded database',
        1 + signIns.length,
        wrong,
        '2 starts, 2 sign-ins',
        users,
        'NODE_ENV=production',
      );
      expect(embedded.code, embedded.stderr).toBe(78);
      expect(embedded.stderr).toMatch(/DATABASE_URL: required in production/);
      for (const reply of signIns) expect(reply).toMatchObject({ status: 401, code: 'UNAUTHORIZED', setCookie: [] });
      expect(users).toBe(0);
      expect(products).toBe(5);
    } finally {
      await server?.stop('SIGTERM');
      await fresh.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('what Nginx publishes and runs as', () => {
  it('publishes no source maps: no sourceMappingURL in any asset, and every .map answers 404', async () => {
    const before = await digest(db.url);
    const index = await raw(base, { method: 'GET', path: '/' });
    const spa = index.text;
    // Every asset index.html names, and every chunk those name in turn (lazy pages, CSS).
    const names = new Set<string>();
    const found = (text: string) => {
      const fresh = [...text.matchAll(/(?:\bassets\/|["'`]\.\/)([\w-]+\.(?:js|css))\b/g)]
        .map((m) => m[1] ?? '')
        .filter((n) => !names.has(n));
      for (const name of fresh) names.add(name);
      return fresh;
    };
    let wrong = index.status === 200 ? 0 : 1;
    const mapped: string[] = [];
    const maps: { path: string; status: number; spa: boolean }[] = [];
    for (let queue = found(spa); queue.length > 0; ) {
      const next: string[] = [];
      for (const name of queue) {
        const asset = await raw(base, { method: 'GET', path: `/assets/${name}` });
        const map = await raw(base, { method: 'GET', path: `/assets/${name}.map` });
        const hasMap = /sourceMappingURL/.test(asset.text) || 'sourcemap' in asset.headers || 'x-sourcemap' in asset.headers;
        if (hasMap) mapped.push(name);
        maps.push({ path: `/assets/${name}.map`, status: map.status, spa: map.text.includes('<div id="root">') });
        wrong += (asset.status === 200 && !hasMap ? 0 : 1) + (map.status === 404 && !map.text.includes('<div id="root">') ? 0 : 1);
        if (name.endsWith('.js')) next.push(...found(asset.text));
      }
      queue = next;
    }
    row(
      'abuse: no source maps published',
      1 + 2 * names.size,
      wrong,
      `${names.size} assets and their .map`,
      await writtenSince(before),
      'requests for source maps',
    );
    expect(index.status).toBe(200);
    expect([...names].some((n) => n.endsWith('.css'))).toBe(true);
    expect(names.size).toBeGreaterThan(5);
    expect(mapped).toEqual([]);
    for (const map of maps) expect(map, map.path).toEqual({ path: map.path, status: 404, spa: false });
  });

  it('runs no Nginx worker as root', async () => {
    const master = Number((await readFile(join(cluster.dir, 'nginx.pid'), 'utf8')).trim());
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=,uid=,args=', '--ppid', String(master)]);
    const children = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid, uid, ...args] = line.trim().split(/\s+/);
        return { pid: Number(pid), uid: Number(uid), args: args.join(' ') };
      });
    // As root the workers switch to an unprivileged user; as anyone else they stay that user.
    const runner = process.getuid?.() ?? -1;
    const allowed = (uid: number) => (runner === 0 ? uid !== 0 : uid === runner);
    const workers = children.filter((c) => c.args.includes('worker process'));
    const wrong = children.filter((c) => !allowed(c.uid)).length + (workers.length > 0 ? 0 : 1);
    row(
      'abuse: Nginx workers never run as root',
      children.length,
      wrong,
      `${workers.length} workers, ${children.length - workers.length} other children; runner uid ${runner}`,
      0,
      'ps of the cluster’s Nginx',
    );
    expect(workers.length).toBeGreaterThan(0);
    for (const child of children) expect(allowed(child.uid), `${child.args} runs as uid ${child.uid}`).toBe(true);
  });

  it('the compose Nginx configuration passes a browser-shaped mutation and WebSocket from http://localhost:<port>, and refuses a foreign Origin', async () => {
    const first = cluster.instances[0];
    if (!first) throw new Error('no instance');
    const compose = await startComposeNginx({
      upstreams: [{ host: '127.0.0.1', port: first.port }],
      webDist: defaultWebDist,
      httpPort: await freePort(),
    });
    try {
      const page = `http://localhost:${compose.port}`;
      const browser = { host: `localhost:${compose.port}`, origin: page, 'sec-fetch-site': 'same-origin' };
      const foreign = { host: `localhost:${compose.port}`, origin: EVIL, 'sec-fetch-site': 'cross-site' };
      const email = `compose-${randomUUID().slice(0, 8)}@example.test`;
      const evilEmail = `compose-evil-${randomUUID().slice(0, 8)}@example.test`;
      const signUp = await mutate(
        compose.url,
        'auth.register',
        { email, password: PASSWORD, name: 'Compose' },
        undefined,
        undefined,
        browser,
      );
      const upgrade = await upgradeStatus(compose.url, { ...browser, cookie: cookieOf(signUp) });
      const evilSignUp = await mutate(
        compose.url,
        'auth.register',
        { email: evilEmail, password: PASSWORD, name: 'Evil' },
        undefined,
        undefined,
        foreign,
      );
      const evilUpgrade = await upgradeStatus(compose.url, foreign);
      const accounts = async (address: string) =>
        (await db.orm.em.getConnection().execute('select id from users where email = ?', [address])).length;
      const [created, evilCreated] = [await accounts(email), await accounts(evilEmail)];
      const wrong =
        (signUp.status === 200 && cookieOf(signUp).startsWith(`${SESSION_COOKIE}=`) ? 0 : 1) +
        (upgrade === 101 ? 0 : 1) +
        (evilSignUp.status === 403 ? 0 : 1) +
        (evilUpgrade === 403 ? 0 : 1);
      row(
        'abuse: compose Nginx config passes a browser-shaped mutation',
        4,
        wrong,
        'sequential, compose config before instance i1',
        Math.abs(created - 1) + evilCreated,
        'browser-shaped and foreign-Origin requests',
      );
      expect(signUp.status, signUp.message).toBe(200);
      expect(cookieOf(signUp)).toMatch(new RegExp(`^${SESSION_COOKIE}=.`));
      expect(upgrade).toBe(101);
      expect(evilSignUp.status).toBe(403);
      expect(evilUpgrade).toBe(403);
      expect([created, evilCreated]).toEqual([1, 0]);
    } finally {
      await compose.stop();
    }
  });
});
