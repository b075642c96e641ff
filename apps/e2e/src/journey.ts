// A new shopper's whole visit, in real Chromium, against any running shop (one instance or Nginx in
// front of several): browse, search, a product with options (pick a size and a colour), cart,
// sign-up, checkout (seen live on the staff dashboard), order history, live chat.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@shop/proc';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import { imagesInView, recordLayoutShifts, sidewaysOverflow, twoFrames, watch } from './page-checks.ts';

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 360, height: 740 } as const;

export interface JourneyOptions {
  /** Where screenshots go (desktop and phone of every main page); none are taken when unset. */
  artifactsDir?: string;
  /** Prefix of the screenshot names, e.g. `single` or `cluster`. */
  label?: string;
  /** Chromium binary; Debian's by default. */
  executablePath?: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** How long one step may wait for the page. */
  stepTimeoutMs?: number;
}

export interface JourneyResult {
  email: string;
  /** The product bought, and its options as picked ("M / Sage"). */
  product: { slug: string; name: string; options: string };
  orderNumber: string;
  chatMessage: string;
  /** Console errors, uncaught page errors, failed requests and HTTP errors seen by either browser. */
  problems: string[];
  /** Pages that scroll sideways at phone width, with the elements sticking out. */
  overflow: string[];
  /** Cumulative layout shift of fresh page loads (catalog, deep link), before any resize. */
  layoutShift: Record<string, number>;
  screenshots: string[];
  /** Every `x-instance` that answered an API call: behind Nginx, more than one. */
  instances: string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runJourney(baseUrl: string, options: JourneyOptions = {}): Promise<JourneyResult> {
  const base = baseUrl.replace(/\/$/, '');
  const log = options.log ?? (() => {});
  const label = options.label ?? 'journey';
  const timeout = options.stepTimeoutMs ?? 15_000;
  const problems: string[] = [];
  const overflow: string[] = [];
  const layoutShift: Record<string, number> = {};
  const screenshots: string[] = [];
  const instances = new Set<string>();
  if (options.artifactsDir) await mkdir(options.artifactsDir, { recursive: true });

  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await fn();
      log(`${label}: ${name} (${Math.round(performance.now() - started)} ms)`);
      return result;
    } catch (error) {
      throw new Error(`step "${name}" failed: ${(error as Error).message}`, { cause: error });
    }
  };

  /** Desktop and phone screenshots of what the page shows now, and a sideways-scroll check at phone width. */
  const capture = async (page: Page, name: string, fullPage = true) => {
    await imagesInView(page);
    if (options.artifactsDir) {
      const file = join(options.artifactsDir, `${label}-${name}-desktop.png`);
      await page.screenshot({ path: file, fullPage });
      screenshots.push(file);
    }
    await page.setViewportSize(PHONE);
    await twoFrames(page);
    for (const culprit of await page.evaluate(sidewaysOverflow)) overflow.push(`${name} at ${PHONE.width}px: ${culprit}`);
    if (options.artifactsDir) {
      await imagesInView(page);
      const file = join(options.artifactsDir, `${label}-${name}-phone.png`);
      await page.screenshot({ path: file, fullPage });
      screenshots.push(file);
    }
    await page.setViewportSize(DESKTOP);
    await twoFrames(page);
  };

  // Two browsers, one per shopper, both launched at once up front.
  const browsers: Browser[] = [];
  const launching = [0, 1].map(() =>
    launchBrowser(options.executablePath).then((browser) => {
      browsers.push(browser);
      return browser;
    }),
  );
  /** A fresh context (own cookies, storage and cache) in `browser`. */
  const open = async (who: string, browser: Browser | Promise<Browser>): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await (await browser).newContext({ viewport: DESKTOP, locale: 'en-GB' });
    context.setDefaultTimeout(timeout);
    await context.addInitScript(recordLayoutShifts);
    const page = await context.newPage();
    watch(page, who, problems, instances);
    return { context, page };
  };

  const unique = crypto.randomUUID().slice(0, 8);
  const email = `shopper-${unique}@example.test`;
  const name = `Erin E2E ${unique}`;
  const watcherName = `Wade Watcher ${unique}`;
  const chatMessage = `Hello from ${name}: the shop works (${label})`;

  try {
    const { page } = await open('shopper', launching[0] as Promise<Browser>);
    const grid = page.getByRole('list', { name: 'Products' });
    const cartLink = (count: number) => page.getByRole('link', { name: `Cart, ${count} ${count === 1 ? 'item' : 'items'}`, exact: true });

    const product = await step('browse the catalog', async () => {
      await page.goto(`${base}/`);
      await page.getByRole('heading', { level: 1, name: 'All products' }).waitFor();
      await grid.and(page.locator('[aria-busy="false"]')).waitFor();
      await grid.getByRole('listitem').nth(11).getByRole('link').waitFor();
      await cartLink(0).waitFor();
      await imagesInView(page);
      layoutShift.catalog = await page.evaluate(() => (window as unknown as { __layoutShift: number }).__layoutShift);
      await capture(page, 'catalog', false);
      // Apparel comes in sizes and colours (the demo seed): the product bought is one of them.
      await page
        .getByRole('navigation', { name: 'Categories' })
        .getByRole('link', { name: /^Apparel \d+$/ })
        .click();
      await page.getByRole('heading', { level: 1, name: 'Apparel' }).waitFor();
      await grid.and(page.locator('[aria-busy="false"]')).waitFor();
      await grid.getByRole('listitem').nth(11).getByRole('link').waitFor();
      // A product from the middle of the first page, so the search below has to find it.
      const card = grid.getByRole('listitem').nth(5);
      const href = (await card.getByRole('link').getAttribute('href')) ?? '';
      const productName = ((await card.locator('.card-name').textContent()) ?? '').trim();
      if (!href.startsWith('/p/') || !productName) throw new Error(`unexpected product card: ${href} ${productName}`);
      return { slug: href.slice('/p/'.length), name: productName };
    });

    await step('search for the product', async () => {
      const before = await grid.getByRole('link').first().getAttribute('href');
      await page.getByRole('searchbox', { name: 'Search products' }).pressSequentially(product.name, { delay: 20 });
      await page.waitForURL((url) => url.searchParams.get('q') === product.name);
      // The best match comes first: the grid now shows search results instead of the newest products.
      if (before === `/p/${product.slug}`) throw new Error('the product was first before the search too: the test proves nothing');
      await waitFor(
        async () => (await grid.getByRole('link').first().getAttribute('href')) === `/p/${product.slug}`,
        'the product first in the results',
        { timeoutMs: timeout },
      );
      await capture(page, 'search', false);
    });

    await step('open the product', async () => {
      await grid.getByRole('link', { name: product.name }).first().click();
      await page.waitForURL(`${base}/p/${product.slug}`);
      await page.getByRole('heading', { level: 1, name: product.name, exact: true }).waitFor();
      await capture(page, 'product');
    });

    const picked = await step('pick a size', async () => {
      /** Picks the first value of the option still to be had (with what is picked so far). */
      const pick = async (option: string) => {
        const group = page.getByRole('group', { name: new RegExp(`^${option}`) });
        const value = await group.locator('input[type="radio"]:not([disabled])').first().getAttribute('value');
        if (!value) throw new Error(`no ${option} to be had`);
        await group
          .locator('label')
          .filter({ has: page.locator(`input[value="${value}"]`) })
          .click();
        await group.getByRole('radio', { name: value, exact: true, checked: true }).waitFor({ state: 'attached' });
        return value;
      };
      await page.getByRole('button', { name: 'Choose Size and Colour' }).waitFor();
      const size = await pick('Size');
      const colour = await pick('Colour');
      // The choice is kept in the address, so the page with it picked is a link too.
      await page.waitForURL((url) => url.searchParams.get('Size') === size && url.searchParams.get('Colour') === colour);
      await page.getByRole('button', { name: 'Add to cart' }).waitFor();
      await capture(page, 'product-options');
      return { size, colour, search: new URL(page.url()).search };
    });
    const options = `${picked.size} / ${picked.colour}`;

    await step('add it to the cart', async () => {
      const added = page.waitForResponse((r) => r.url().includes('cart.add') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Add to cart' }).click();
      if (!(await added).ok()) throw new Error('cart.add failed');
      await cartLink(1).waitFor();
    });

    await step('look at the cart', async () => {
      await cartLink(1).click();
      await page.getByRole('heading', { level: 1, name: 'Cart' }).waitFor();
      await page.getByRole('link', { name: product.name, exact: true }).waitFor();
      await page
        .getByRole('listitem')
        .filter({ hasText: `${product.name} (${options})` })
        .waitFor();
      await page.getByText('1 item', { exact: true }).waitFor();
      // As a guest: the code comes along into the account at sign-up.
      await page.getByLabel('Promotion code').fill('welcome10');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('Discount (WELCOME10)').waitFor();
      await capture(page, 'cart');
    });

    await step('sign up on the way to checkout', async () => {
      await page.getByRole('link', { name: 'Check out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in to check out' }).waitFor();
      await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'New here? Create an account' }).click();
      await page.getByRole('heading', { level: 1, name: 'Create an account' }).waitFor();
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill('correct horse battery staple');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      await page.getByText(name, { exact: true }).waitFor();
      // The anonymous cart came along into the new account.
      await cartLink(1).waitFor();
    });

    // The demo staff account (seeded outside production) watches today's figures in the other browser.
    const dashboard = await step('staff open the dashboard', async () => {
      const { page: staff } = await open('staff', launching[1] as Promise<Browser>);
      await staff.goto(`${base}/signin`);
      await staff.getByLabel('Email').fill('staff@shop.test');
      await staff.getByLabel('Password').fill('staff-password');
      await staff.getByRole('button', { name: 'Sign in' }).click();
      await staff.getByRole('button', { name: 'Sign out' }).waitFor();
      await staff.getByRole('banner').getByRole('link', { name: 'Staff', exact: true }).click();
      const ordersToday = staff.getByRole('region', { name: 'Today' }).locator('dt:text-is("Orders today") + dd');
      await ordersToday.waitFor();
      return { staff, ordersToday, before: Number(await ordersToday.textContent()) };
    });

    const order = await step('check out', async () => {
      await cartLink(1).click();
      await page.getByRole('link', { name: 'Check out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
      await page.getByRole('complementary', { name: 'Order summary' }).getByText('Discount (WELCOME10)').waitFor();
      await page.getByLabel('Full name').fill(name);
      await page.getByLabel('Address', { exact: true }).fill('1 Test Street');
      await page.getByLabel('City').fill('Berlin');
      await page.getByLabel('Postal code').fill('10115');
      await page.getByLabel('Country').selectOption('DE');
      await capture(page, 'checkout');
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/[^/]+$/);
      const heading = page.getByRole('heading', { level: 1, name: /^Order / });
      await heading.waitFor();
      const orderNumber = ((await heading.textContent()) ?? '').replace(/^Order /, '').trim();
      // The line names the size and colour picked.
      await page.getByText(`1 × ${product.name} (${options}):`).waitFor();
      await page.getByText('Discount (WELCOME10)').waitFor();
      await cartLink(0).waitFor();
      await capture(page, 'order-confirmation');
      return { number: orderNumber, path: new URL(page.url()).pathname };
    });

    await step('staff see the order on the dashboard', async () => {
      await waitFor(async () => Number(await dashboard.ordersToday.textContent()) === dashboard.before + 1, 'one more order today', {
        timeoutMs: timeout,
      });
      await capture(dashboard.staff, 'staff-dashboard');
    });

    await step('find the order in the order history', async () => {
      await page.getByRole('banner').getByRole('link', { name: 'Orders', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Your orders' }).waitFor();
      const entry = page.getByRole('main').getByRole('link', { name: new RegExp(escapeRegExp(order.number)) });
      await entry.first().waitFor();
      await capture(page, 'order-history');
      await entry.first().click();
      await page.waitForURL(`${base}${order.path}`);
      await page.getByRole('heading', { level: 1, name: `Order ${order.number}` }).waitFor();
    });

    // A second shopper in a browser of their own, with the lobby open before the message is sent.
    const watcher = (await step('a second shopper opens the lobby', async () => {
      const { page: other } = await open('watcher', launching[1] as Promise<Browser>);
      await other.goto(`${base}/signup`);
      await other.getByLabel('Name', { exact: true }).fill(watcherName);
      await other.getByLabel('Email').fill(`watcher-${unique}@example.test`);
      await other.getByLabel('Password').fill('correct horse battery staple');
      await other.getByRole('button', { name: 'Create account' }).click();
      await other.getByRole('button', { name: 'Sign out' }).waitFor();
      await openLobby(other);
      // Survives only if the page is never reloaded.
      await other.evaluate(() => {
        (window as unknown as { __sameDocument: boolean }).__sameDocument = true;
      });
      return other;
    })) as Page;

    await step('send a message in the lobby', async () => {
      await openLobby(page);
      await page.getByRole('textbox', { name: 'Message' }).fill(chatMessage);
      await page.getByRole('button', { name: 'Send' }).click();
      // The list shows the message at once, "Sending…"; chat.send goes over the WebSocket, and the
      // server's answer replaces that with the stored message (or "Not sent.").
      const item = page.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: chatMessage });
      await item.waitFor();
      await item.filter({ hasNotText: 'Sending…' }).waitFor();
      if (((await item.textContent()) ?? '').includes('Not sent')) throw new Error('chat.send failed');
      await capture(page, 'chat');
    });

    await step('the second shopper sees it live', async () => {
      const message = watcher.getByRole('log', { name: 'Messages' }).getByRole('listitem').filter({ hasText: chatMessage });
      await message.waitFor();
      if (!((await message.textContent()) ?? '').includes(name)) throw new Error(`the message does not show its author ${name}`);
      const same = await watcher.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument === true);
      if (!same) throw new Error('the page was reloaded');
    });

    await step('a deep link opens the product directly', async () => {
      // A fresh context of the first browser: no cookies, nothing cached, no client-side routing.
      const { page: fresh } = await open('deep link', launching[0] as Promise<Browser>);
      // With the options picked before in its address: the page opens with them picked.
      const response = await fresh.goto(`${base}/p/${product.slug}${picked.search}`);
      if (response?.status() !== 200) throw new Error(`GET /p/${product.slug} answered ${response?.status()}`);
      await fresh.getByRole('heading', { level: 1, name: product.name, exact: true }).waitFor();
      for (const [option, value] of [
        ['Size', picked.size],
        ['Colour', picked.colour],
      ] as const) {
        const group = fresh.getByRole('group', { name: new RegExp(`^${option}`) });
        const name = new RegExp(`^${escapeRegExp(value)}( \\(sold out\\))?$`);
        await group.getByRole('radio', { name, checked: true }).waitFor({ state: 'attached' });
      }
      // (The one bought may have been the last: either way the button speaks of that variant.)
      await fresh.getByRole('button', { name: /^(Add to cart|Sold out)$/ }).waitFor();
      await imagesInView(fresh);
      layoutShift.deepLink = await fresh.evaluate(() => (window as unknown as { __layoutShift: number }).__layoutShift);
    });

    return {
      email,
      product: { ...product, options },
      orderNumber: order.number,
      chatMessage,
      problems,
      overflow,
      layoutShift,
      screenshots,
      instances: [...instances].sort(),
    };
  } finally {
    await Promise.allSettled(launching);
    await Promise.all(browsers.map((b) => b.close()));
  }
}

/** The chat page through the header link, lobby selected, message list on screen. */
async function openLobby(page: Page) {
  await page.getByRole('banner').getByRole('link', { name: 'Chat', exact: true }).click();
  const lobby = page.getByRole('tab', { name: 'Lobby' }).or(page.getByRole('button', { name: 'Lobby' }));
  await lobby.first().click();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}
