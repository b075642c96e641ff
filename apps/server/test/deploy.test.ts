import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from '@shop/proc';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerfileStages } from './dockerfile.ts';

// The deployment files are checked with the tools that will read them, not just kept in the tree.
const run = promisify(execFile);
const deploy = fileURLToPath(new URL('../deploy/', import.meta.url));
const temp: string[] = [];
afterAll(() => Promise.all(temp.map((dir) => rm(dir, { recursive: true, force: true }))));
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shop-deploy-'));
  temp.push(dir);
  return dir;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(deploy, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages = dockerfileStages();

  it('builds in several stages, the SPA in one of them, from node:24-slim', () => {
    expect([...stages.keys()]).toEqual(expect.arrayContaining(['base', 'build', 'server-deps', 'server', 'web']));
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(stages.get('build')?.join('\n')).toMatch(/pnpm --filter @shop\/web build/);
    // Every COPY --from names a stage defined above it.
    const names = [...stages.keys()];
    for (const [name, instructions] of stages) {
      for (const line of instructions) {
        const from = /COPY\s+--from=(\S+)/.exec(line)?.[1];
        if (from) expect(names.indexOf(from), `${name}: COPY --from=${from}`).toBeGreaterThanOrEqual(0);
        if (from) expect(names.indexOf(from)).toBeLessThan(names.indexOf(name));
      }
    }
  }, 60_000);

  it('runs the server as a non-root user, starting main.ts', () => {
    const server = stages.get('server') ?? [];
    const users = server.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:.*)?$/);
    const userAt = server.findLastIndex((l) => /^USER\s/i.test(l));
    const cmdAt = server.findIndex((l) => /^CMD\s/i.test(l));
    expect(cmdAt).toBeGreaterThan(userAt);
    expect(server[cmdAt]).toContain('apps/server/src/main.ts');
    expect(server.join('\n')).toMatch(/NODE_ENV=production/);
  }, 60_000);
});

/** `docker compose` (plugin) or `docker-compose` (standalone), whichever this machine has. */
async function composeCommand(): Promise<string[]> {
  for (const candidate of [['docker', 'compose'], ['docker-compose']]) {
    const [command = '', ...args] = candidate;
    if (
      await run(command, [...args, 'version']).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error('neither `docker compose` nor `docker-compose` is installed (.ci/run installs docker-compose)');
}

describe('docker-compose.yml', () => {
  const file = join(deploy, 'docker-compose.yml');
  const env = { ...process.env, SESSION_SECRET: 'compose-check-secret-0123456789abcdefghij', REDIS_PASSWORD: 'c0ffee0123456789' };

  it('is valid for compose, with Nginx, three instances, PostgreSQL, Redis and the migration step', async () => {
    const [command = '', ...args] = await composeCommand();
    await run(command, [...args, '-f', file, 'config', '-q'], { env });
    const { stdout } = await run(command, [...args, '-f', file, 'config', '--services'], { env });
    expect(stdout.trim().split('\n').sort()).toEqual(['app1', 'app2', 'app3', 'migrate', 'nginx', 'postgres', 'redis']);
    expect(readFileSync(file, 'utf8')).toContain('./nginx.compose.conf:/etc/nginx/nginx.conf:ro');
  }, 60_000);

  it('refuses to start without SESSION_SECRET', async () => {
    const [command = '', ...args] = await composeCommand();
    const { SESSION_SECRET: _, ...withoutSecret } = env;
    const failure = await run(command, [...args, '-f', file, 'config', '-q'], { env: withoutSecret }).then(
      () => null,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).toContain('SESSION_SECRET');
  }, 60_000);

  it("makes Redis require REDIS_PASSWORD, which every instance's REDIS_URL carries; refuses to start without it", async () => {
    const [command = '', ...args] = await composeCommand();
    const { stdout } = await run(command, [...args, '-f', file, 'config'], { env });
    const { services } = parse(stdout) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    const redisArgs = services.redis?.command ?? [];
    expect(redisArgs[redisArgs.indexOf('--requirepass') + 1]).toBe(env.REDIS_PASSWORD);
    expect(services.redis?.environment?.REDISCLI_AUTH).toBe(env.REDIS_PASSWORD);
    for (const app of ['app1', 'app2', 'app3'])
      expect(services[app]?.environment?.REDIS_URL).toBe(`redis://:${env.REDIS_PASSWORD}@redis:6379`);
    const { REDIS_PASSWORD: _, ...withoutPassword } = env;
    const failure = await run(command, [...args, '-f', file, 'config', '-q'], { env: withoutPassword }).then(
      () => null,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).toContain('REDIS_PASSWORD');
  }, 60_000);

  it('mounts the Nginx configuration rendered by nginx/src/compose.ts', () => {
    // Its content (the renderer's output, committed) and its behaviour in a real nginx in front of
    // a real instance are checked in nginx/test/compose.test.ts.
    expect(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8')).toMatch(
      /^\s+- \.\/nginx\.compose\.conf:\/etc\/nginx\/nginx\.conf:ro$/m,
    );
  });
});

describe('systemd units', () => {
  it('pass systemd-analyze verify', async () => {
    const dir = await tempDir();
    for (const unit of await readdir(join(deploy, 'systemd'))) await copyFile(join(deploy, 'systemd', unit), join(dir, unit));
    // A template is verified through one of its instances.
    const { stderr } = await run('systemd-analyze', ['verify', join(dir, 'shop-instance@3001.service'), join(dir, 'shop-nginx.service')], {
      cwd: repoRoot,
    });
    // verify exits 0 on unknown keys and the like; it reports them on stderr, naming the file.
    expect(stderr.split('\n').filter((line) => line.includes(dir))).toEqual([]);
  }, 60_000);
});

describe('demo data', () => {
  it('no deployment file seeds the demo accounts, whose passwords the README prints', () => {
    // A production start seeds no account (main.ts); the compose migration seeds with the CLI, so it
    // must ask for the catalog only.
    const compose = readFileSync(join(deploy, 'docker-compose.yml'), 'utf8');
    const seeds = [...compose.matchAll(/seed\.ts[^;&|'"]*/g)].map((m) => m[0]);
    expect(seeds.length).toBeGreaterThan(0);
    for (const seed of seeds) expect(seed).toContain('--catalog-only');
    expect(readFileSync(join(deploy, 'Dockerfile'), 'utf8')).toMatch(/ENV NODE_ENV=production .*SEED_PRODUCTS=0/);
    const unit = readFileSync(join(deploy, 'systemd', 'shop-instance@.service'), 'utf8');
    expect(unit).toMatch(/^Environment=NODE_ENV=production$/m);
    expect(unit).toMatch(/^Environment=SEED_PRODUCTS=0$/m);
  });
});
