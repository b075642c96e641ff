// A cluster started from a checkout nginx's workers cannot enter (a clone under root's 0700 home):
// it gives them a prefix and a copy of the SPA they can reach.
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type RedisServer, startRedis } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCluster } from '../src/cluster.ts';
import { defaultWebDist, ensureWebBuild } from '../src/web-build.ts';

let db: TestDatabase;
let redis: RedisServer;

beforeAll(async () => {
  await ensureWebBuild();
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
}, 120_000);

afterAll(async () => {
  await redis?.stop();
  await db?.drop();
}, 60_000);

describe('a checkout its nginx workers cannot reach', () => {
  it("serves the SPA and caches reads when the cluster's folder and the build sit under a 0700 home", async () => {
    // As a clone under /root would: the workers (`nobody` when started as root) cannot enter it.
    const home = await mkdtemp(join(tmpdir(), 'shop-home-'));
    const webDist = join(home, 'checkout/apps/web/dist');
    await cp(defaultWebDist, webDist, { recursive: true });
    // A build made into a mkdtemp folder (as the e2e suite's) is itself 0700.
    await chmod(webDist, 0o700);
    const small = await startCluster({
      databaseUrl: db.url,
      redisUrl: redis.url,
      instances: 1,
      dir: join(home, 'checkout/.data/cluster'),
      webDist,
      env: { SEED_PRODUCTS: '0', SESSION_SECRET: 'nginx-cluster-test-secret-0123456789abcdef' },
    });
    try {
      const page = await fetch(`${small.url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const read = `${small.url}/trpc/catalog.categories?unreachable-home`;
      expect((await fetch(read)).status).toBe(200);
      expect((await fetch(read)).headers.get('x-cache-status')).toBe('HIT');
      // Started as root, nginx was given a prefix of its own outside the unreachable home.
      if (process.getuid?.() === 0) expect(small.dir.startsWith(home)).toBe(false);
    } finally {
      await small.stop();
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});
