import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppRouter } from '@shop/api';
import { testDeps } from '@shop/api/testing';
import { createTotpSecret } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { seedCatalogFixture, testMfaSettings } from '@shop/domain/testing';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, createApp } from './app.ts';

let db: TestDatabase;
let app: App;
let base: string;
let webDist: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork(), { products: 60, ties: 5 });
  webDist = await mkdtemp(join(tmpdir(), 'shop-web-'));
  await mkdir(join(webDist, 'assets'));
  await writeFile(join(webDist, 'index.html'), '<!doctype html><title>Shop</title><div id="root"></div>');
  await writeFile(join(webDist, 'assets', 'app-abc123.js'), 'console.log(1)');
  app = createApp({ deps: testDeps(db.orm), instanceName: 'test-1', webDist });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  await rm(webDist, { recursive: true, force: true });
});

const client = () => createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: `${base}/trpc` })] });
const get = (path: string, input?: unknown) =>
  fetch(`${base}/trpc/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);

describe('probes', () => {
  it('/health reports liveness and the instance name', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-instance')).toBe('test-1');
    expect(await res.json()).toEqual({ status: 'ok', instance: 'test-1', uptimeS: expect.any(Number) });
  });

  it('/ready answers 200 while the database answers', async () => {
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});

describe('tRPC over HTTP', () => {
  it('serves batched catalog queries through the typed client', async () => {
    const trpc = client();
    const [categories, page] = await Promise.all([
      trpc.catalog.categories.query(),
      trpc.catalog.list.query({ limit: 5, sort: 'price_asc' }),
    ]);
    expect(categories.length).toBeGreaterThanOrEqual(10);
    expect(page.items).toHaveLength(5);
    const prices = page.items.map((p) => p.priceCents);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
  });

  it('answers invalid input with 400 BAD_REQUEST, a readable reason and the zod issues', async () => {
    const res = await get('catalog.list', { limit: 0 });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { message: string; data: { code: string; zodError: { fieldErrors: Record<string, string[]> } } };
    };
    expect(body.error.data.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/limit/);
    expect(body.error.data.zodError.fieldErrors.limit?.length).toBe(1);
  });

  // PostgreSQL refuses a NUL byte in a bound parameter as a protocol violation; before the schemas
  // refused it, that surfaced as a 503 "database unavailable" (found by the fuzz suite in CI).
  it('answers a NUL character in free text with 400 and the reason, before it reaches the database', async () => {
    const search = await get('catalog.list', { search: 'lamp\u0000' });
    const signUp = await fetch(`${base}/trpc/auth.register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nul@example.test', password: 'tulip-anchor-violet-88', name: 'N\u0000' }),
    });
    for (const res of [search, signUp]) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/NUL/);
    }
  });

  it('answers input that is not JSON with 400, not 500', async () => {
    const res = await fetch(`${base}/trpc/catalog.list?input=%7Bnot-json`);
    expect(res.status).toBe(400);
  });

  it('answers an unknown product with 404 NOT_FOUND', async () => {
    const error = await client()
      .catalog.product.query({ slug: 'nope' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe('NOT_FOUND');
    expect((await get('catalog.product', { slug: 'nope' })).status).toBe(404);
  });

  it('marks public catalog reads cacheable and errors not', async () => {
    expect((await get('catalog.list', { limit: 2 })).headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    expect((await get('catalog.categories')).headers.get('cache-control')).toMatch(/^public/);
    expect((await get('catalog.product', { slug: 'nope' })).headers.get('cache-control')).toBe('no-store');
  });

  it('refuses an oversized request body', async () => {
    const res = await fetch(`${base}/trpc/catalog.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(200 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('refuses a mutation-style POST to a query', async () => {
    const res = await fetch(`${base}/trpc/catalog.list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
  });

  it('answers a sign-in without the second factor with 401 and reason MFA_REQUIRED, a wrong password with no reason', async () => {
    const email = 'enrolled@example.test';
    const { id } = await client().auth.register.mutate({ email, password: 'tulip-anchor-violet-88', name: 'Staff' });
    const sealed = testMfaSettings().box.seal(createTotpSecret(), id);
    await db.orm.em.getConnection().execute(`update users set role = 'staff', totp_secret = ? where id = ?`, [sealed, id]);
    const signIn = (password: string) =>
      fetch(`${base}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
    const missing = await signIn('tulip-anchor-violet-88');
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { data: { reason?: string } } }).error.data.reason).toBe('MFA_REQUIRED');
    const wrong = await signIn('wrong password');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { data: object } }).error.data).not.toHaveProperty('reason');
  });
});

describe('static files', () => {
  it('serves the SPA for deep links', async () => {
    const res = await fetch(`${base}/c/lighting`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('caches hashed assets for a year', async () => {
    const res = await fetch(`${base}/assets/app-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('draws product images', async () => {
    const res = await fetch(`${base}/img/products/oak-stool-1.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg[^>]*>[\s\S]*>OS<\/text>/);
  });
});

describe('draining', () => {
  it('turns /ready to 503 while /health stays 200', async () => {
    app.drain();
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });
});
