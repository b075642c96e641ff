// The SPA build that `pnpm cluster`, the bench and the suites start from when apps/web/dist is
// missing: built once, and a production build even when a test (NODE_ENV=test) asks for it.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild } from '../src/web-build.ts';
import { tempDir } from './support.ts';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('shop-web-build-');
});
afterAll(() => dir?.remove());

describe('ensureWebBuild', () => {
  it('builds a missing SPA once, as a production build, when callers race', async () => {
    expect(process.env.NODE_ENV).toBe('test');
    const dist = join(dir.path, 'dist');
    await Promise.all([ensureWebBuild(dist), ensureWebBuild(dist)]);
    const index = join(dist, 'index.html');
    const builtAt = (await stat(index)).mtimeMs;

    const assets = (await readdir(join(dist, 'assets'))).filter((name) => name.endsWith('.js'));
    expect(assets.length).toBeGreaterThan(0);
    // React's development build calls jsxDEV hundreds of times; the production build never does.
    for (const name of assets) expect(await readFile(join(dist, 'assets', name), 'utf8'), name).not.toContain('jsxDEV');

    await ensureWebBuild(dist);
    expect((await stat(index)).mtimeMs).toBe(builtAt);
  }, 120_000);
});
