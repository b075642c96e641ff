// What the journey watches and measures in a page: console and network problems, layout shift,
// sideways scrolling at phone width, images loaded before a screenshot.
import type { Page } from 'playwright-core';

/** Records layout shifts from the first paint on, so a page load's shift can be read later. */
export function recordLayoutShifts() {
  const w = window as unknown as { __layoutShift: number };
  w.__layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
      if (!entry.hadRecentInput) w.__layoutShift += entry.value;
    }
  }).observe({ type: 'layout-shift', buffered: true });
}

/** At the current width: does the page scroll sideways, and which outermost elements stick out? */
export function sidewaysOverflow(): string[] {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const describe = (el: Element) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}`;
  // Content inside a scrolling or clipping box (a swipeable category bar) does not widen the page.
  const clipped = (el: Element) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out: string[] = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement;
    const outermost = !parent || parent === document.body || parent.getBoundingClientRect().right <= width + 1;
    if (right > width + 1 && outermost && !clipped(el)) out.push(`${describe(el)} reaches ${Math.round(right)}px`);
  }
  return out.length ? out : [`document is ${document.documentElement.scrollWidth}px wide`];
}

/** Collects everything that went wrong in a page's console and network, and who answered. */
export function watch(page: Page, who: string, problems: string[], instances: Set<string>) {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`${who}: console error on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${who}: uncaught error on ${page.url()}: ${error.message}`));
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? 'unknown';
    // The browser itself cancels what a navigation made obsolete (lazy images of the page left).
    if (reason === 'net::ERR_ABORTED') return;
    problems.push(`${who}: request failed: ${request.method()} ${request.url()}: ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${who}: HTTP ${response.status()} for ${response.request().method()} ${response.url()}`);
    const instance = response.headers()['x-instance'];
    if (instance && new URL(response.url()).pathname.startsWith('/trpc')) instances.add(instance);
  });
}

/** Waits until the images in view have loaded, so screenshots show them. */
export async function imagesInView(page: Page) {
  await page.waitForFunction(() =>
    [...document.images].every((img) => {
      const r = img.getBoundingClientRect();
      const visible = r.bottom > 0 && r.top < window.innerHeight && r.width > 0;
      return !visible || img.complete;
    }),
  );
}

/** Resolves after the browser has painted twice: a resize has been laid out. */
export const twoFrames = (page: Page) =>
  page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
