// Three real instances behind a real nginx, on one PostgreSQL database and a private Redis:
// load balancing, a SIGKILL under load, a rolling restart under load, the micro-cache during an
// outage, and the nginx-layer limits in front of the real app. (A checkout its workers cannot
// reach: cluster-unreachable.test.ts.)

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type RedisServer, sleep, startRedis } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { register } from '../../apps/server/test/harness.ts';
import { type Cluster, startCluster } from '../src/cluster.ts';
import { ensureWebBuild } from '../src/web-build.ts';
import { call, getLoop, input, lobbyListener, type Outcome, until } from './cluster-traffic.ts';

let db: TestDatabase;
let redis: RedisServer;
let cluster: Cluster;
const sockets: { close(): void }[] = [];

beforeAll(async () => {
  await ensureWebBuild();
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  cluster = await startCluster({
    databaseUrl: db.url,
    redisUrl: redis.url,
    env: { SEED_PRODUCTS: '30', SESSION_SECRET: 'nginx-cluster-test-secret-0123456789abcdef' },
    // The load loops come from one IP: the global per-IP limit is lifted; sign-in is kept small.
    rateLimits: { requestsPerSecond: 100_000, burst: 100_000, authPerMinute: 6, authBurst: 3 },
  });
}, 180_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await cluster?.stop();
  await redis?.stop();
  await db?.drop();
}, 60_000);

/** Registers straight at an instance (not through nginx, whose sign-in limit is kept small here). */
const signUp = (name: string) => register(cluster.instances[0]?.url ?? '', name);

/** A lobby subscriber over nginx's WebSocket, closed after the file. */
async function listen(cookie: string) {
  const listener = await lobbyListener(cluster.url, cookie);
  sockets.push(listener.socket);
  return listener;
}

describe('three instances behind nginx', () => {
  const listeners: Awaited<ReturnType<typeof listen>>[] = [];
  const sent: number[] = [];

  it('spreads requests round-robin, with security headers and no public probes', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${cluster.url}/trpc/auth.me`);
      await res.arrayBuffer();
      const name = res.headers.get('x-instance') ?? 'none';
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ i1: 10, i2: 10, i3: 10 });

    const page = await fetch(`${cluster.url}/`);
    expect(await page.text()).toContain('<div id="root">');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    for (const path of ['/health', '/ready', '/metrics']) {
      const res = await fetch(`${cluster.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-instance')).toBeNull();
    }
  });

  it('runs its nginx workers as an unprivileged user, however it was started', async () => {
    const master = Number((await readFile(`${cluster.dir}/nginx.pid`, 'utf8')).trim());
    const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=,uid=,args=', '--ppid', String(master)]);
    const workers = stdout.trim().split('\n').filter(Boolean);
    expect(workers.some((line) => line.includes('worker process'))).toBe(true);
    for (const line of workers) expect(Number(line.trim().split(/\s+/)[1]), line).not.toBe(0);
    // …and can still do their work: the SPA from the build, the micro-cache on disk.
    expect((await fetch(`${cluster.url}/`)).status).toBe(200);
    // A URI of its own: the outage test below must find catalog.categories not yet cached.
    const read = `${cluster.url}/trpc/catalog.categories?worker-check`;
    expect((await fetch(read)).status).toBe(200);
    expect((await fetch(read)).headers.get('x-cache-status')).toBe('HIT');
  });

  it('survives a SIGKILL under load: no failed GET, WebSocket clients resume with every message once', async () => {
    const [reader, ...writers] = await Promise.all(['reader', 'w1', 'w2', 'w3', 'w4'].map(signUp));
    // Opened one after another with nothing else in flight, round-robin puts one on each instance,
    // so whichever instance dies takes a subscriber with it.
    for (let i = 0; i < 3; i++) listeners.push(await listen(reader as string));
    await sleep(200);

    const gets: Outcome = { ok: 0, failures: [] };
    const sends: Outcome = { ok: 0, failures: [] };
    let killed = false;
    const sender = async (cookie: string, w: number) => {
      for (let i = 0; i < 5; i++) {
        const clientId = crypto.randomUUID();
        // A send that failed in flight is retried with its clientId, as the SPA does; the server
        // stores it once. (POSTs are not retried by nginx: only GETs must never fail here.)
        for (let attempt = 0; attempt < 5; attempt++) {
          const message = (await call(cluster.url, 'POST', 'chat.send', cookie, sends, {
            roomId: 'lobby',
            text: `w${w} ${i}`,
            clientId,
          })) as { id: number } | undefined;
          if (message) {
            if (!sent.includes(message.id)) sent.push(message.id);
            break;
          }
          await sleep(100);
        }
        await sleep(150);
      }
    };
    const killer = async () => {
      await until(() => gets.ok >= 60 && sent.length >= 4, 'some traffic before the kill');
      await cluster.kill(1, 'SIGKILL');
      killed = true;
    };
    await Promise.all([
      killer(),
      ...writers.map((cookie, w) => sender(cookie as string, w)),
      ...[0, 1, 2].map(() => getLoop(cluster.url, reader as string, gets, () => true, 100)),
    ]);
    expect(killed).toBe(true);
    expect(gets.failures).toEqual([]);
    expect(gets.ok).toBe(300);
    expect(sent).toHaveLength(20);

    const expected = [...sent].sort((a, b) => a - b);
    await until(() => listeners.every((l) => l.ids.length >= expected.length), 'every message on every subscriber');
    for (const l of listeners) expect(l.ids).toEqual(expected);
    // The killed instance's subscriber lost its socket and came back through nginx.
    expect(listeners.filter((l) => l.stats.closes >= 1 && l.stats.opens >= 2).length).toBeGreaterThanOrEqual(1);

    await cluster.start(1);
  }, 120_000);

  it('restarts every instance in turn under load with zero failed requests, GETs and POSTs alike', async () => {
    const [shopper, ...writers] = await Promise.all(['shopper', 'v1', 'v2', 'v3'].map(signUp));
    const page = (await call(cluster.url, 'GET', `catalog.list?${input({ limit: 1, inStock: true })}`, undefined, {
      ok: 0,
      failures: [],
    })) as {
      items: { id: number }[];
    };
    const productId = page.items[0]?.id;
    expect(productId).toBeDefined();
    const pidsBefore = cluster.instances.map((i) => i.pid);
    const already = listeners.map((l) => l.ids.length);

    const outcome: Outcome = { ok: 0, failures: [] };
    const sentNow: number[] = [];
    let restarting = true;
    const keepGoing = () => restarting;
    const mutations = async () => {
      for (let n = 0; keepGoing(); n++) {
        if (n % 2 === 0) await call(cluster.url, 'POST', 'cart.add', shopper, outcome, { productId, quantity: 1 });
        else await call(cluster.url, 'POST', 'cart.remove', shopper, outcome, { productId });
        await sleep(20);
      }
    };
    // No retries here: every chat.send must succeed the first time. Three writers in turn stay
    // under the per-user flood limit.
    const chatter = async () => {
      for (let n = 0; keepGoing(); n++) {
        const message = (await call(cluster.url, 'POST', 'chat.send', writers[n % 3], outcome, {
          roomId: 'lobby',
          text: `during restart ${n}`,
        })) as { id: number } | undefined;
        if (message) sentNow.push(message.id);
        await sleep(400);
      }
    };
    const restart = cluster.rollingRestart().finally(() => {
      restarting = false;
    });
    await Promise.all([
      restart,
      mutations(),
      chatter(),
      ...[0, 1].map(() => getLoop(cluster.url, shopper as string, outcome, keepGoing, 10_000, 10)),
    ]);

    expect(outcome.failures).toEqual([]);
    expect(outcome.ok).toBeGreaterThan(50);
    expect(sentNow.length).toBeGreaterThan(3);
    const pidsAfter = cluster.instances.map((i) => i.pid);
    pidsAfter.forEach((pid, i) => {
      expect(pid).not.toBeNull();
      expect(pid).not.toBe(pidsBefore[i]);
    });

    // The subscribers were moved off each draining instance and missed nothing.
    const expected = [...sentNow].sort((a, b) => a - b);
    await until(() => listeners.every((l, i) => l.ids.length >= (already[i] ?? 0) + expected.length), 'every message after the restart');
    listeners.forEach((l, i) => {
      expect(l.ids.slice(already[i])).toEqual(expected);
    });
  }, 180_000);

  it("never serves one user's answers to another from the micro-cache", async () => {
    const cookie = await signUp('private');
    const path = `catalog.list?${input({ limit: 3, sort: 'price_desc' })}`;
    const signedIn = await fetch(`${cluster.url}/trpc/${path}`, { headers: { cookie } });
    await signedIn.arrayBuffer();
    expect(signedIn.headers.get('x-cache-status')).toBe('BYPASS');
    const anonymous = await fetch(`${cluster.url}/trpc/${path}`);
    await anonymous.arrayBuffer();
    expect(anonymous.headers.get('x-cache-status')).toBe('MISS');

    const me = await fetch(`${cluster.url}/trpc/auth.me`, { headers: { cookie } });
    expect(((await me.json()) as { result: { data: { name: string } } }).result.data.name).toBe('private');
    const stranger = await fetch(`${cluster.url}/trpc/auth.me`);
    expect(((await stranger.json()) as { result: { data: unknown } }).result.data).toBeNull();
    expect(stranger.headers.get('x-cache-status')).toBeNull();
  });

  it('applies its own limits in front of the app: 429 on a sign-in flood, 413 on a large body', async () => {
    const statuses: { status: number; instance: string | null }[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${cluster.url}/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `nobody-${i}@example.test`, password: 'wrong-password' }),
      });
      await res.arrayBuffer();
      statuses.push({ status: res.status, instance: res.headers.get('x-instance') });
    }
    // The first ones reach an instance (wrong password); the flood is then refused by nginx.
    expect(statuses.slice(0, 4).map((s) => s.status)).toEqual([401, 401, 401, 401]);
    const refused = statuses.filter((s) => s.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(3);
    expect(refused.every((s) => s.instance === null)).toBe(true);

    const cookie = await signUp('big');
    const big = await fetch(`${cluster.url}/trpc/chat.send`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ roomId: 'lobby', text: 'x'.repeat(150 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('x-instance')).toBeNull();
  });

  it('serves cached catalog reads while every instance is down', async () => {
    const path = `${cluster.url}/trpc/catalog.categories`;
    const fresh = await fetch(path);
    const body = await fresh.text();
    expect(fresh.status).toBe(200);
    const again = await fetch(path);
    await again.arrayBuffer();
    expect(again.headers.get('x-cache-status')).toBe('HIT');

    await Promise.all(cluster.instances.map((_, i) => cluster.kill(i, 'SIGKILL')));
    // Served all along while every instance is down: from the fresh copy, then (past its 5 s
    // freshness, which nginx counts in whole seconds from when a background update stored it)
    // only a stale copy can answer.
    const seen: string[] = [];
    const deadline = Date.now() + 15_000;
    while (seen.at(-1) !== 'STALE' && Date.now() < deadline) {
      const reply = await fetch(path);
      expect(reply.status).toBe(200);
      expect(await reply.text()).toBe(body);
      seen.push(reply.headers.get('x-cache-status') ?? 'none');
      if (seen.at(-1) !== 'STALE') await sleep(500);
    }
    expect(seen.at(-1)).toBe('STALE');
    expect(seen.every((status) => status === 'HIT' || status === 'STALE')).toBe(true);
    // What was never cached cannot be served: a clear 503 in tRPC's error shape.
    const uncached = await fetch(`${cluster.url}/trpc/auth.me`);
    expect(uncached.status).toBe(503);
    expect(await uncached.json()).toMatchObject({ error: { data: { code: 'SERVICE_UNAVAILABLE' } } });

    // One instance back is enough for service: nginx tries the dead ones, then it.
    await cluster.start(0);
    const back = await fetch(`${cluster.url}/trpc/auth.me`);
    await back.arrayBuffer();
    expect(back.status).toBe(200);
  }, 120_000);
});
