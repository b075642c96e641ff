/// <reference lib="dom" />
// B. Stored XSS: markup in chat messages, user names, addresses and product texts is shown as
// text by the SPA, checked in Chromium. The SPA is served by one instance without Nginx, so no
// Content-Security-Policy could hide an injection: an element or a dialog would show it.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { chromiumOptions, repoRoot } from '@shop/proc';
import type { Order, Product, ProductSummary } from '@shop/schemas';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO, mutate, PASSWORD, query, signIn } from '../src/http.ts';
import { type ShopInstance, startInstance, stopAll } from '../src/processes.ts';
import { record } from '../src/summary.ts';

const webDir = join(repoRoot, 'apps/web/');

/**
 * Markup that runs script (setting window.xssRan and opening a dialog) or adds an element if
 * rendered as HTML; `tag` marks where it was put.
 */
const payload = (tag: string) =>
  `<img src=x id=xss-${tag} onerror="window.xssRan=1;alert('${tag}')"><svg id=xss-${tag}-svg onload=window.xssRan=1>XSS-${tag}`;
/** The same in under 80 characters, for names and address lines. */
const short = (tag: string) => `<img src=x id=xss-${tag} onerror=window.xssRan=1>XSS-${tag}`;
const SCRIPT_PAYLOAD = `<script id="xss-script">window.xssRan=1</script><iframe id="xss-frame" src="javascript:alert(2)"></iframe>XSS-chat-2 {{constructor.constructor('alert(3)')()}}`;

let db: TestDatabase;
let server: ShopInstance;
let profile: string;
let browser: BrowserContext;
let pagesChecked = 0;
let failures = 0;
/** Markers that never showed, and stored payloads not stored exactly once. */
let lostOrDuplicated = 0;

/** Builds the SPA from its current source into a folder of this test's own (apps/web/dist may be stale). */
async function buildSpa(outDir: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const vite = spawn(join(webDir, 'node_modules/.bin/vite'), ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
      cwd: webDir,
      stdio: 'inherit',
    });
    vite.once('error', reject);
    vite.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))));
  });
}

beforeAll(async () => {
  profile = await mkdtemp(join(tmpdir(), 'shop-resilience-chromium-'));
  const webDist = join(profile, 'web');
  await buildSpa(webDist);
  db = await createTestDatabase(inject('pgAdminUrl'));
  server = await startInstance('xss', { DATABASE_URL: db.url, SEED_PRODUCTS: '10', WEB_DIST: webDist });
  browser = await chromium.launchPersistentContext(join(profile, 'chromium'), chromiumOptions());
});
afterAll(async () => {
  await browser?.close();
  await stopAll();
  await db?.drop();
  if (profile) await rm(profile, { recursive: true, force: true });
  record(inject('summaryFile'), {
    scenario: 'stored XSS in Chromium (chat, names, address, product)',
    load: `${pagesChecked} pages`,
    faults: 'markup and script payloads',
    requests: pagesChecked,
    failures,
    lostOrDuplicated,
  });
});

/**
 * Opens `path` signed in with `cookie`, waits until every marker is on screen as text, then
 * asserts that no dialog opened and no payload element exists.
 */
async function expectInert(path: string, cookie: string, markers: string[]) {
  const [name, ...rest] = cookie.split('=');
  await browser.clearCookies();
  await browser.addCookies([{ name: name ?? '', value: rest.join('='), url: server.url }]);
  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await page.goto(`${server.url}${path}`);
    for (const marker of markers) {
      await page
        .waitForFunction((m) => (document.body.textContent ?? '').includes(m), marker, { timeout: 30_000 })
        .catch(async (error: Error) => {
          lostOrDuplicated++;
          const shown = await page.evaluate(() => (document.body.textContent ?? '').slice(0, 600)).catch(() => '?');
          throw new Error(`${marker} never appeared on ${path} (${error.message}); the page showed: ${shown}`);
        });
    }
    // Give an onerror/onload handler time to fire had the markup become elements.
    await page.waitForLoadState('networkidle');
    const injected = await page.evaluate(() => ({
      // The SPA has no inline script (its CSP allows none), so any script without src was injected.
      // Not every svg: the SPA draws its own (the staff chart, the QR code); the payload's carries
      // an xss id and an onload, both matched.
      elements: [...document.querySelectorAll('[id^="xss"], img[src="x"], [onerror], [onload], iframe, script:not([src])')].map(
        (e) => e.outerHTML,
      ),
      ran: (window as { xssRan?: unknown }).xssRan,
    }));
    pagesChecked++;
    expect(injected.elements, `elements injected on ${path}`).toEqual([]);
    expect(injected.ran, `a payload ran on ${path}`).toBeUndefined();
    expect(dialogs, `dialogs on ${path}`).toEqual([]);
    // The payload is there, as text.
    expect(await page.evaluate(() => document.body.textContent ?? '')).toContain('<img src=x');
  } catch (error) {
    failures++;
    throw error;
  } finally {
    await page.close();
  }
}

/** Counts rows matching `where`: a payload accepted once is stored once, neither lost nor doubled. */
async function expectStoredOnce(table: string, where: string, params: unknown[]): Promise<void> {
  const [row] = await db.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table} where ${where}`, params);
  const n = row?.n ?? 0;
  lostOrDuplicated += Math.abs(n - 1);
  expect(n, `${table} where ${where}`).toBe(1);
}

describe('markup entered by users renders as text', () => {
  it('in chat messages and author names', async () => {
    const email = `xss-${randomUUID().slice(0, 8)}@example.test`;
    const reg = await mutate(server.url, 'auth.register', { email, password: PASSWORD, name: short('name') });
    expect(reg.status).toBe(200);
    const cookie = reg.setCookie[0]?.split(';')[0] ?? '';
    expect((await mutate(server.url, 'chat.send', { roomId: 'lobby', text: payload('chat') }, cookie)).status).toBe(200);
    expect((await mutate(server.url, 'chat.send', { roomId: 'lobby', text: SCRIPT_PAYLOAD }, cookie)).status).toBe(200);
    await expectStoredOnce('chat_messages', 'text = ?', [payload('chat')]);
    await expectStoredOnce('chat_messages', 'text = ?', [SCRIPT_PAYLOAD]);
    await expectInert('/chat', cookie, ['XSS-chat', 'XSS-chat-2', 'XSS-name']);
  });

  it('in a shipping address on the staff order queue, and a product’s name and description', async () => {
    const shopper = await signIn(server.url, DEMO.shopper.email, DEMO.shopper.password);
    const staff = await signIn(server.url, DEMO.staff.email, DEMO.staff.password);
    const list = await query(server.url, 'catalog.list', { inStock: true, limit: 1 });
    const product = (list.data as { items: ProductSummary[] }).items[0];
    expect((await mutate(server.url, 'cart.add', { productId: product?.id }, shopper)).status).toBe(200);
    const address = { name: short('addr'), line1: payload('line1'), city: short('city'), postalCode: 'N1 9GU', country: 'GB' };
    const placed = await mutate(server.url, 'checkout.placeOrder', { idempotencyKey: randomUUID(), shippingAddress: address }, shopper);
    expect(placed.status).toBe(200);
    expect((placed.data as Order).shippingAddress.name).toBe(address.name);
    await expectStoredOnce('orders', "shipping_address->>'line1' = ?", [address.line1]);
    await expectInert('/staff', staff, ['XSS-addr']);

    const upserted = await mutate(
      server.url,
      'admin.product.upsert',
      {
        slug: 'xss-lamp',
        name: payload('product'),
        description: `${payload('description')} ${SCRIPT_PAYLOAD}`,
        priceCents: 1_000,
        categorySlug: product?.category.slug,
        stock: 5,
      },
      staff,
    );
    expect(upserted.status).toBe(200);
    expect((upserted.data as Product).slug).toBe('xss-lamp');
    await expectStoredOnce('products', 'slug = ?', ['xss-lamp']);
    await expectInert('/p/xss-lamp', shopper, ['XSS-product', 'XSS-description']);
  });
});
