// The SPA build Nginx serves: apps/web/dist, built once when missing.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot, sleep } from '@shop/proc';

export const defaultWebDist = join(repoRoot, 'apps/web/dist');

/**
 * Builds the SPA into apps/web/dist when there is no build yet (`pnpm --filter @shop/web build`).
 * Test files in parallel processes may all ask at once: one builds, the others wait for it.
 */
export async function ensureWebBuild(): Promise<void> {
  const index = join(defaultWebDist, 'index.html');
  if (existsSync(index)) return;
  const lock = join(tmpdir(), `shop-web-build-${createHash('sha1').update(repoRoot).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(index) && !existsSync(lock)) return;
      if (Date.now() > deadline) throw new Error(`waited too long for another SPA build (remove ${lock} if none runs)`);
      await sleep(500);
    }
  }
  try {
    if (existsSync(index)) return;
    const build = spawn('pnpm', ['--filter', '@shop/web', 'build'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    // 'error' (pnpm not on PATH) comes instead of 'exit': without it the wait would never end.
    const code = await new Promise<number | null>((done, fail) => {
      build.once('exit', done);
      build.once('error', (error) => fail(new Error(`could not run pnpm to build the SPA: ${error.message}`)));
    });
    if (code !== 0) throw new Error(`building the SPA failed (exit ${code})`);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The SPA build folder `webDist` (default apps/web/dist), resolved; throws when it holds no build. */
export function builtWebDist(webDist = defaultWebDist): string {
  const dist = resolve(webDist);
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`no SPA build in ${dist}: run \`pnpm --filter @shop/web build\` first`);
  return dist;
}
