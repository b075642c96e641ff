import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testDeps } from '@shop/api/testing';
import { createSessionCodec } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { type App, createApp } from './app.ts';
import { clientIp } from './security.ts';

// Sessions and cross-site protection, end to end over real HTTP and WebSocket.
let db: TestDatabase;
let app: App;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  app = createApp({ deps: testDeps(db.orm), instanceName: 'sec', allowedOrigins: ['https://partner.example'] });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const mutate = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const me = async (cookie?: string) => {
  const res = await fetch(`${base}/trpc/auth.me`, cookie ? { headers: { cookie } } : {});
  return ((await res.json()) as { result: { data: { email: string } | null } }).result.data;
};
const cookieOf = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('shop_session='));
const userCount = async () => (await db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from users'))[0]?.n;

describe('the session cookie', () => {
  it('is set at registration as HttpOnly and SameSite=Lax, and identifies the user', async () => {
    const res = await mutate('auth.register', { email: 'Cookie@Example.test', password: 'tulip-anchor-violet-88', name: 'Cookie' });
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).not.toMatch(/; Secure/);
    expect(await me(cookie?.split(';')[0])).toMatchObject({ email: 'cookie@example.test' });
    expect(await me()).toBeNull();
  });

  it('stops working everywhere after logout, even when a copy is replayed', async () => {
    const res = await mutate('auth.register', { email: 'replay@example.test', password: 'tulip-anchor-violet-88', name: 'R' });
    const copy = cookieOf(res)?.split(';')[0] ?? '';
    expect(await me(copy)).not.toBeNull();
    const out = await mutate('auth.logout', {}, { cookie: copy });
    expect(out.status).toBe(200);
    expect(cookieOf(out)).toMatch(/Max-Age=0/);
    expect(await me(copy)).toBeNull();
  });

  it('is rotated at sign-in: a new cookie replaces the one held before', async () => {
    await mutate('auth.register', { email: 'rotate@example.test', password: 'tulip-anchor-violet-88', name: 'R' });
    const first = cookieOf(await mutate('auth.login', { email: 'rotate@example.test', password: 'tulip-anchor-violet-88' }));
    const second = cookieOf(
      await mutate(
        'auth.login',
        { email: 'rotate@example.test', password: 'tulip-anchor-violet-88' },
        { cookie: first?.split(';')[0] ?? '' },
      ),
    );
    expect(second).toBeDefined();
    expect(second?.split(';')[0]).not.toBe(first?.split(';')[0]);
  });

  it('ignores a forged or tampered cookie', async () => {
    const res = await mutate('auth.register', { email: 'tamper@example.test', password: 'tulip-anchor-violet-88', name: 'T' });
    const value = cookieOf(res)?.split(';')[0] ?? '';
    expect(await me(`${value.slice(0, -4)}AAAA`)).toBeNull();
    expect(await me('shop_session=not-a-seal')).toBeNull();
  });

  it('is marked Secure when configured', async () => {
    const codec = createSessionCodec({ secrets: ['x'.repeat(16) + 'y'.repeat(16)], secure: true });
    expect(await codec.write({ iat: Date.now(), seen: Date.now() })).toMatch(/; Secure$/);
  });
});

describe('cross-site protection', () => {
  it.each([
    ['a foreign Origin', { origin: 'https://evil.example' }, 'application/json'],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }, 'application/json'],
    ['a text/plain body', {}, 'text/plain'],
    ['a form body', {}, 'application/x-www-form-urlencoded'],
  ])('refuses a mutation with %s: 403 FORBIDDEN and nothing stored', async (_name, headers, type) => {
    const before = await userCount();
    const res = await fetch(`${base}/trpc/auth.register`, {
      method: 'POST',
      headers: { ...headers, 'content-type': type },
      body: JSON.stringify({ email: `csrf-${Math.random()}@example.test`, password: 'tulip-anchor-violet-88', name: 'X' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { data: { code: string } } }).error.data.code).toBe('FORBIDDEN');
    expect(await userCount()).toBe(before);
  });

  it('refuses a multipart/form-data mutation', async () => {
    const before = await userCount();
    const form = new FormData();
    form.set('email', 'multipart@example.test');
    form.set('password', 'tulip-anchor-violet-88');
    form.set('name', 'M');
    const res = await fetch(`${base}/trpc/auth.register`, { method: 'POST', body: form });
    expect(res.status).toBe(403);
    expect(await userCount()).toBe(before);
  });

  it('allows same-origin browsers, configured origins and clients that send no Origin', async () => {
    const host = new URL(base).host;
    expect((await mutate('auth.logout', {}, { origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await mutate('auth.logout', {}, { origin: 'https://partner.example' })).status).toBe(200);
    expect((await mutate('auth.logout', {})).status).toBe(200);
  });

  it('refuses a WebSocket upgrade from a foreign Origin and accepts its own', async () => {
    const url = `${base.replace('http', 'ws')}/trpc`;
    const outcome = (origin: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(url, { origin });
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.on('error', () => resolve('error'));
      });
    expect(await outcome('https://evil.example')).toBe('403');
    expect(await outcome(base)).toBe('open');
  });
});

describe('clientIp', () => {
  const req = (remote: string, xff?: string) =>
    ({ headers: xff ? { 'x-forwarded-for': xff } : {}, socket: { remoteAddress: remote } }) as unknown as IncomingMessage;

  it('uses the socket peer unless the proxy is trusted', () => {
    expect(clientIp(req('10.0.0.5', '1.2.3.4'), false)).toBe('10.0.0.5');
  });

  it('takes the entry our proxy appended, not one the client forged', () => {
    expect(clientIp(req('127.0.0.1', '6.6.6.6, 203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientIp(req('127.0.0.1'), true)).toBe('127.0.0.1');
  });
});
