import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase } from '@shop/db/testing';
import { repoRoot, SERVER_NODE_FLAGS } from '@shop/proc';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ComposeError, loadComposeFile, schemaErrors } from './compose-file.ts';
import { dockerfileStages } from './dockerfile.ts';

// The deployment files are checked as the tools that will read them do, not just kept in the tree:
// compose's file against the Compose Specification's schema (no Docker needed), the units by systemd.
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

  it('starts the server with the Node flags every harness uses (SERVER_NODE_FLAGS), as `pnpm start` does', () => {
    const server = stages.get('server') ?? [];
    const cmd = server.findLast((l) => /^CMD\s/i.test(l)) ?? '';
    expect(JSON.parse(cmd.replace(/^CMD\s+/i, ''))).toEqual(['node', ...SERVER_NODE_FLAGS, 'apps/server/src/main.ts']);
    const scripts = (dir: string) =>
      (JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts('.').start).toContain(`node ${SERVER_NODE_FLAGS.join(' ')} apps/server/src/main.ts`);
    expect(scripts('apps/server').start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} src/main.ts`);
    const unit = readFileSync(join(deploy, 'systemd', 'shop-instance@.service'), 'utf8');
    expect(unit).toContain(`ExecStart=/usr/bin/node ${SERVER_NODE_FLAGS.join(' ')} apps/server/src/main.ts\n`);
  });
});

describe('docker-compose.yml', () => {
  const file = join(deploy, 'docker-compose.yml');
  const env = { SESSION_SECRET: 'compose-check-secret-0123456789abcdefghij', REDIS_PASSWORD: 'c0ffee0123456789' };

  it('is valid for the Compose Specification, with Nginx, three instances, PostgreSQL, Redis and the migration step', () => {
    const model = loadComposeFile(file, env);
    expect(schemaErrors(model)).toEqual([]);
    expect(Object.keys(model.services ?? {}).sort()).toEqual(['app1', 'app2', 'app3', 'migrate', 'nginx', 'postgres', 'redis']);
    // The instances share one environment through the YAML merge key, each with its own name.
    for (const app of ['app1', 'app2', 'app3']) {
      expect(model.services?.[app]?.environment).toMatchObject({
        INSTANCE_NAME: app,
        SESSION_SECRET: env.SESSION_SECRET,
        NODE_ENV: 'production',
      });
      expect(model.services?.[app]?.depends_on).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
  });

  it('refuses to start without SESSION_SECRET', () => {
    const { SESSION_SECRET: _, ...withoutSecret } = env;
    expect(() => loadComposeFile(file, withoutSecret)).toThrow(/required variable SESSION_SECRET is missing a value/);
    expect(() => loadComposeFile(file, { ...withoutSecret, SESSION_SECRET: '' })).toThrow(ComposeError);
  });

  it("makes Redis require REDIS_PASSWORD, which every instance's REDIS_URL carries; refuses to start without it", () => {
    const { services = {} } = loadComposeFile(file, env);
    const redis = services.redis as { command?: string[]; environment?: Record<string, string> } | undefined;
    const redisArgs = redis?.command ?? [];
    expect(redisArgs[redisArgs.indexOf('--requirepass') + 1]).toBe(env.REDIS_PASSWORD);
    expect(redis?.environment?.REDISCLI_AUTH).toBe(env.REDIS_PASSWORD);
    for (const app of ['app1', 'app2', 'app3'])
      expect(services[app]?.environment).toMatchObject({ REDIS_URL: `redis://:${env.REDIS_PASSWORD}@redis:6379` });
    const { REDIS_PASSWORD: _, ...withoutPassword } = env;
    expect(() => loadComposeFile(file, withoutPassword)).toThrow(/REDIS_PASSWORD/);
  });

  it('mounts the Nginx configuration rendered by nginx/src/compose.ts', () => {
    // Its content (the renderer's output, committed) and its behaviour in a real nginx in front of
    // a real instance are checked in nginx/test/compose.test.ts.
    expect(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8')).toMatch(
      /^\s+- \.\/nginx\.compose\.conf:\/etc\/nginx\/nginx\.conf:ro$/m,
    );
  });
});

describe('systemd units', () => {
  const units = join(deploy, 'systemd');

  it('pass systemd-analyze verify', async () => {
    const dir = await tempDir();
    const files = await readdir(units);
    for (const unit of files) await copyFile(join(units, unit), join(dir, unit));
    // A template is verified through one of its instances.
    const verified = files.map((unit) => join(dir, unit.replace('@.service', '@3001.service')));
    expect(verified.map((file) => basename(file)).sort()).toEqual([
      'shop-backup.service',
      'shop-backup.timer',
      'shop-instance@3001.service',
      'shop-nginx.service',
    ]);
    const { stderr } = await run('systemd-analyze', ['verify', ...verified], { cwd: repoRoot });
    // verify exits 0 on unknown keys and the like; it reports them on stderr, naming the file.
    expect(stderr.split('\n').filter((line) => line.includes(dir))).toEqual([]);
  }, 60_000);

  it('back up daily what `pnpm db:backup` dumps, keeping the newest BACKUP_KEEP', async () => {
    const service = unitSettings(readFileSync(join(units, 'shop-backup.service'), 'utf8'));
    const timer = unitSettings(readFileSync(join(units, 'shop-backup.timer'), 'utf8'));
    expect(timer.get('Unit')).toEqual(['shop-backup.service']);
    expect(timer.get('Persistent')).toEqual(['true']);
    // The calendar fires once a day.
    const { stdout } = await run('systemd-analyze', ['calendar', '--iterations=3', timer.get('OnCalendar')?.[0] ?? ''], {
      env: { ...process.env, TZ: 'UTC' },
    });
    const next = [...stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC/g)].map((m) => Date.parse(`${m[1]}Z`));
    expect(next).toHaveLength(3);
    expect([(next[1] ?? 0) - (next[0] ?? 0), (next[2] ?? 0) - (next[1] ?? 0)]).toEqual([86_400_000, 86_400_000]);

    const script = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts['db:backup'] as string;
    const [execStart = ''] = service.get('ExecStart') ?? [];
    expect(execStart).toBe(`/usr/bin/${script}`);

    // Run that command with the unit's environment (its state directory in a temp folder) on a
    // folder already holding 14 dated dumps: a new one is written and the oldest deleted.
    const env = Object.fromEntries((service.get('Environment') ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2)));
    const keep = Number(env.BACKUP_KEEP);
    expect(keep).toBeGreaterThanOrEqual(7);
    const state = await tempDir();
    const backups = env.BACKUP_DIR?.replace('%S', state) ?? '';
    expect(backups).toBe(join(state, service.get('StateDirectory')?.[0] ?? '?'));
    const db = await createTestDatabase(inject('pgAdminUrl'));
    try {
      const name = new URL(db.url).pathname.slice(1);
      // As systemd creates it: StateDirectoryMode.
      await mkdir(backups, { mode: Number.parseInt(service.get('StateDirectoryMode')?.[0] ?? '', 8) });
      const old = Array.from({ length: keep }, (_, i) => `shop-${name}-202001${String(i + 1).padStart(2, '0')}T031500Z.dump`);
      for (const file of old) await writeFile(join(backups, file), 'old');
      const [command = '', ...args] = execStart.replace('/usr/bin/node', process.execPath).split(' ');
      const { stdout: written, stderr } = await run(command, args, {
        cwd: repoRoot,
        env: { ...process.env, ...env, BACKUP_DIR: backups, DATABASE_URL: db.url },
      });
      expect((await readdir(backups)).sort()).toEqual([...old.slice(1), basename(written.trim())]);
      // Neither a folder others can open nor a failure deleting the oldest.
      expect(stderr).not.toContain('warning');
    } finally {
      await db.drop();
    }
  }, 60_000);
});

/** A unit file's settings by key, in order (a key may repeat); sections are not told apart. */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const setting = /^(\w+)=(.*)$/.exec(line.trim());
    if (setting?.[1]) settings.set(setting[1], [...(settings.get(setting[1]) ?? []), setting[2] ?? '']);
  }
  return settings;
}

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
