// The small overlay's pods, run here as the kubelet would start them: the command and working
// directory of their image (the Dockerfile) or container, an environment made of only the image's
// ENV and the container's `env` with the Secret's values (as secrets.sh makes them), and Redis with
// the overlay's own arguments. Replaced, since they cannot be the same on this machine: addresses
// (127.0.0.1 and free ports in place of Services), folders (temp dirs in place of volumes).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { migrationsList } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { freePort, type RedisServer, repoRoot, spawnTracked, startRedis, stop, waitForHttp } from '@shop/proc';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Container } from './kustomize.ts';
import { build, commandOf, container, find, imageOf, mountOf, overlaySecrets, resolveEnv } from './wiring.ts';

const run = promisify(execFile);
const manifests = build('small');
const secrets = overlaySecrets('small').data['shop-secrets'] ?? {};

let db: TestDatabase;
let redis: RedisServer;
let redisUrl: string;
const temp: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shop-k8s-pod-'));
  temp.push(dir);
  return dir;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  // Redis as its StatefulSet starts it: `redis-server` with the overlay's arguments, password included.
  const args = commandOf(container(find(manifests, 'StatefulSet', 'shop-redis'), 'redis'), {
    REDIS_PASSWORD: secrets.REDIS_PASSWORD ?? '',
  });
  expect(args[0]).toBe('redis-server');
  redis = await startRedis({ args: args.slice(1) });
  // The Secret's REDIS_URL, at this machine's address: the password stays as secrets.sh wrote it.
  const url = new URL(secrets.REDIS_URL ?? '');
  url.hostname = '127.0.0.1';
  url.port = String(redis.port);
  redisUrl = url.toString();
});
afterAll(async () => {
  await redis?.stop();
  await db?.drop();
  await Promise.all(temp.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The container's environment with this machine's database and Redis in place of the Services. */
const podEnv = (c: Container, databaseUrl = db.url): Record<string, string> =>
  resolveEnv(c, { 'shop-secrets': { ...secrets, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } });

/** The container's command, from the image's working directory (the repository root, /app in the image). */
function runPod(c: Container, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  expect(imageOf(c).workdir).toBe('/app');
  const [node, ...args] = commandOf(c, env);
  expect(node).toBe('node');
  return run(process.execPath, args, { cwd: repoRoot, env, timeout: 120_000 });
}

describe('the small overlay, run as the kubelet runs it', () => {
  it('Redis requires the password, and REDIS_URL carries it', async () => {
    const anonymous = new Redis(`redis://127.0.0.1:${redis.port}`, { maxRetriesPerRequest: 0, lazyConnect: true });
    const authenticated = new Redis(redisUrl, { maxRetriesPerRequest: 0, lazyConnect: true });
    // Its refusal comes as the rejected ping below; the client would also report it as an event.
    anonymous.on('error', () => {});
    try {
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
      expect(await authenticated.ping()).toBe('PONG');
    } finally {
      anonymous.disconnect();
      authenticated.disconnect();
    }
  });

  it('the migration Job migrates a fresh database, and a second run finds nothing to do', async () => {
    const fresh = await createTestDatabase(inject('pgAdminUrl'), { migrated: false });
    try {
      const migrate = container(find(manifests, 'Job', 'shop-migrate'), 'migrate');
      const first = await runPod(migrate, podEnv(migrate, fresh.url));
      expect(first.stdout).toContain('applied');
      const rows = await fresh.orm.em.getConnection().execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
      expect(rows.map((r) => r.name)).toEqual(migrationsList.map((m) => m.name));
      expect((await runPod(migrate, podEnv(migrate, fresh.url))).stdout).toContain('database is up to date');
    } finally {
      await fresh.drop();
    }
  });

  it('a backup CronJob run writes a private dump onto its volume and keeps the newest BACKUP_KEEP', async () => {
    const cronJob = find(manifests, 'CronJob', 'shop-backup');
    const backup = container(cronJob, 'backup');
    const env = podEnv(backup);
    const mount = mountOf(backup, env.BACKUP_DIR ?? '');
    if (!mount) throw new Error(`no volume mounted at or above BACKUP_DIR ${env.BACKUP_DIR}`);
    // The volume as the kubelet hands it over with fsGroup: its root group-writable (and setgid).
    const volume = await tempDir();
    await chmod(volume, 0o2770);
    const dir = join(volume, relative(mount.mountPath, env.BACKUP_DIR ?? ''));
    // pg_dump is found on PATH as in the image.
    const backupRun = () => runPod(backup, { ...env, BACKUP_DIR: dir, PATH: process.env.PATH ?? '' });
    const mode = async (path: string) => (await stat(path)).mode & 0o777;

    // The first run on a fresh volume makes its folder private, with no warning about it.
    const first = await backupRun();
    expect(first.stderr).not.toMatch(/warning/i);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(first.stdout.trim())).toBe(0o600);

    const keep = Number(env.BACKUP_KEEP);
    const database = new URL(db.url).pathname.slice(1);
    const old = Array.from(
      { length: keep },
      (_, i) => `shop-${database}-2026010${Math.floor(i / 10)}T0000${String(i % 10).padStart(2, '0')}Z.dump`,
    );
    for (const name of old) await writeFile(join(dir, name), 'old');
    const { stdout, stderr } = await backupRun();
    expect(stderr).not.toMatch(/warning/i);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(keep);
    expect(files).not.toContain(old[0]);
    expect(join(dir, files.at(-1) ?? '')).toBe(stdout.trim());
  });

  it('a server pod starts from its environment alone, answers its probes, and stops within its grace period', async () => {
    const deployment = find(manifests, 'Deployment', 'shop-server');
    const server = container(deployment, 'server');
    const port = await freePort();
    // The pod's own address is 0.0.0.0 inside its network namespace; here, loopback only.
    const env = { ...podEnv(server), HOST: '127.0.0.1', PORT: String(port), DATA_DIR: await tempDir() };
    expect(imageOf(server).workdir).toBe('/app');
    const [node, ...args] = commandOf(server, env);
    expect(node).toBe('node');
    const pod: ChildProcess = spawnTracked(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      const probe = (name: string) => (server[name] as { httpGet: { path: string } }).httpGet.path;
      const url = (path: string) => `http://127.0.0.1:${port}${path}`;
      await waitForHttp(url(probe('startupProbe')), 'the server pod', { child: pod, timeoutMs: 60_000 });
      const health = await fetch(url(probe('livenessProbe')));
      expect(await health.json()).toMatchObject({ status: 'ok', instance: 'shop-pod-0' });
      const ready = await fetch(url(probe('readinessProbe')));
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { postgres: 'ok', redis: 'ok' } });

      // Termination: the preStop command runs while the pod still serves, then SIGTERM.
      const grace = Number(
        (deployment.spec as { template: { spec: { terminationGracePeriodSeconds: number } } }).template.spec.terminationGracePeriodSeconds,
      );
      const started = performance.now();
      const [command = '', ...rest] = (server.lifecycle as { preStop: { exec: { command: string[] } } }).preStop.exec.command;
      const preStop = spawn(command, rest, { stdio: 'ignore' });
      const preStopDone = new Promise<number | null>((resolve) => preStop.once('exit', resolve));
      expect((await fetch(url(probe('readinessProbe')))).status).toBe(200);
      expect(await preStopDone).toBe(0);
      const exited = new Promise<number | null>((resolve) => pod.once('exit', resolve));
      pod.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect((performance.now() - started) / 1000).toBeLessThan(grace);
    } finally {
      await stop(pod, 'SIGKILL');
    }
  }, 90_000);
});
