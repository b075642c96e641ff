// The SPA build Nginx serves: apps/web/dist, built once when missing.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, sleep } from '@shop/proc';

export const defaultWebDist = join(repoRoot, 'apps/web/dist');

/**
 * `pnpm --filter @shop/web build` into `outDir`, always a production build: called from a test,
 * the build would otherwise inherit vitest's NODE_ENV=test and bundle React's development build
 * (half as large again), which `pnpm cluster` would then serve from apps/web/dist.
 */
export async function buildWebInto(outDir: string): Promise<void> {
  // pnpm lives beside the Node running us (.tools/bin) when the toolchain script installed both.
  const env = { ...process.env, NODE_ENV: 'production', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  await promisify(execFile)('pnpm', ['--filter', '@shop/web', 'build', '--outDir', resolve(outDir), '--emptyOutDir'], {
    cwd: repoRoot,
    env,
    maxBuffer: 10 * 1024 * 1024,
  }).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`building the SPA failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
}

/**
 * Builds the SPA into `webDist` (apps/web/dist by default) when it holds no build yet. Test files
 * in parallel processes may all ask at once: one builds, the others wait for it.
 */
export async function ensureWebBuild(webDist = defaultWebDist): Promise<void> {
  const index = join(webDist, 'index.html');
  if (existsSync(index)) return;
  const lock = join(tmpdir(), `shop-web-build-${createHash('sha1').update(resolve(webDist)).digest('hex').slice(0, 12)}.lock`);
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
    if (!existsSync(index)) await buildWebInto(webDist);
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
