// `pnpm cluster` and `pnpm cluster:restart` as a person runs them: real processes, signals, the
// state file, and clear errors when PostgreSQL or Redis is not there.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSessionCodec, SESSION_COOKIE } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { freePort, type RedisServer, sleep, startRedis, stop } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { register } from '../../apps/server/test/harness.ts';
import { isAlive, readState } from '../src/state.ts';
import { ensureWebBuild } from '../src/web-build.ts';
import { tempDir } from './support.ts';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const restart = fileURLToPath(new URL('../src/restart.ts', import.meta.url));
const run = promisify(execFile);
// The constant apps/server/src/env.ts once sealed every cluster's cookies with: public knowledge.
const OLD_DEVELOPMENT_SECRET = 'development-only-session-secret-do-not-deploy';

let db: TestDatabase;
let redis: RedisServer;
let dir: { path: string; remove(): Promise<void> };
let supervisor: ChildProcess | undefined;

beforeAll(async () => {
  await ensureWebBuild();
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  dir = await tempDir('shop-cli-');
}, 120_000);

afterAll(async () => {
  if (supervisor?.pid && supervisor.exitCode === null) {
    await stop(supervisor, 'SIGTERM', 30_000);
    // Its own process group: anything of it still there goes too.
    try {
      process.kill(-supervisor.pid, 'SIGKILL');
    } catch {}
  }
  await redis?.stop();
  await db?.drop();
  await dir?.remove();
}, 60_000);

/** `pnpm cluster` with one instance, in a process group of its own as a terminal runs it; resolves once ready. */
async function startSupervisor(httpPort: number, firstInstancePort: number): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [cli], {
    env: {
      ...process.env,
      // One instance keeps this short: the rotation itself is proven in cluster.test.ts.
      INSTANCES: '1',
      HTTP_PORT: String(httpPort),
      FIRST_INSTANCE_PORT: String(firstInstancePort),
      CLUSTER_DIR: dir.path,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SEED_PRODUCTS: '0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  supervisor = child;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('[cluster] ready: ')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the cluster did not start:\n${output}`);
    await sleep(100);
  }
  return { child, output: () => output };
}

/** Ctrl-C in a terminal: SIGINT to the whole foreground process group, instances and nginx included. */
async function pressCtrlC(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.kill(-(child.pid ?? 0), 'SIGINT');
  return exited;
}

describe('pnpm cluster', () => {
  it('says clearly when PostgreSQL or Redis does not answer', async () => {
    const closed = await freePort();
    const attempt = (env: Record<string, string>) =>
      run(process.execPath, [cli], { env: { ...process.env, CLUSTER_DIR: dir.path, ...env } }).then(
        () => 'started',
        (error: { code?: number; stderr?: string }) => `${error.code}: ${error.stderr}`,
      );
    expect(await attempt({ DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/shop` })).toMatch(
      /^1: \[cluster\] PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/shop does not answer/,
    );
    expect(await attempt({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${closed}` })).toMatch(
      /^1: \[cluster\] Redis at redis:\/\/127\.0\.0\.1:\d+ does not answer/,
    );
  });

  it('starts, restarts every instance on request, and stops everything on SIGTERM', async () => {
    const [httpPort, firstInstancePort] = [await freePort(), await freePort()];
    const { child, output } = await startSupervisor(httpPort, firstInstancePort);
    expect(output()).toContain(`[cluster] ready: http://127.0.0.1:${httpPort}/`);
    const before = await readState(dir.path);
    expect(before?.pid).toBe(child.pid);
    expect(before?.instances).toEqual([{ name: 'i1', port: firstInstancePort }]);
    const res = await fetch(`http://127.0.0.1:${httpPort}/trpc/auth.me`);
    expect(res.headers.get('x-instance')).toBe('i1');

    // No SESSION_SECRET: the cluster's instances seal with a random secret kept in its folder.
    const secretFile = `${dir.path}/session-secret`;
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(secretFile, 'utf8')).trim();
    const base = `http://127.0.0.1:${httpPort}`;
    const cookie = await register(base, 'cli-shopper');
    const me = async (header: string) =>
      ((await (await fetch(`${base}/trpc/auth.me`, { headers: { cookie: header } })).json()) as { result: { data: { id: string } | null } })
        .result.data;
    expect(await me(cookie)).not.toBeNull();
    const sealed = decodeURIComponent(cookie.slice(SESSION_COOKIE.length + 1));
    const genuine = createSessionCodec({ secrets: [secret], secure: false });
    const published = createSessionCodec({ secrets: [OLD_DEVELOPMENT_SECRET], secure: false });
    const session = await genuine.read(cookie);
    expect(session?.uid).toBeTruthy();
    expect(await published.read(cookie), sealed.slice(0, 20)).toBeNull();
    // The same session sealed with the old constant is a forgery, and the cluster treats it as one.
    const forged = (await published.write(session ?? { iat: 0, seen: 0 })).split(';')[0] ?? '';
    expect(await me(forged)).toBeNull();

    const restarted = await run(process.execPath, [restart], { env: { ...process.env, CLUSTER_DIR: dir.path } });
    expect(restarted.stdout).toMatch(/done in/);
    expect((await readState(dir.path))?.restarts).toEqual({ completed: 1, lastError: null, running: false });
    expect(output()).toContain('[cluster] rolling restart done');
    // The restarted instance read the same secret: the session survives.
    expect(await me(cookie)).not.toBeNull();

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('[cluster] stopped');
    expect(await readState(dir.path)).toBeNull();
    const nginxPid = Number((await readFile(`${dir.path}/nginx.pid`, 'utf8').catch(() => '0')).trim());
    expect(nginxPid === 0 || !isAlive(nginxPid)).toBe(true);
    await expect(fetch(`http://127.0.0.1:${httpPort}/`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${firstInstancePort}/health`)).rejects.toThrow();
  }, 180_000);

  it('starts again after Ctrl-C, and again after that', async () => {
    const [httpPort, firstInstancePort] = [await freePort(), await freePort()];
    for (let round = 1; round <= 2; round++) {
      const { child, output } = await startSupervisor(httpPort, firstInstancePort);
      expect((await readState(dir.path))?.pid, `round ${round}`).toBe(child.pid);
      expect((await fetch(`http://127.0.0.1:${httpPort}/trpc/auth.me`)).status).toBe(200);
      expect(await pressCtrlC(child), output()).toBe(0);
      expect(output()).toContain('[cluster] stopped');
      expect(await readState(dir.path)).toBeNull();
    }
  }, 180_000);
});

describe('isAlive', () => {
  it('is false for pid 0 and negative pids, which name process groups, not a process', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(0)).toBe(false);
    expect(isAlive(-1)).toBe(false);
  });
});
