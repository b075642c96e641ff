// A shop instance (apps/server/src/main.ts) with DATABASE_REPLICA_URLS, on a private primary and a
// real streaming replica of it (initdb + pg_basebackup -R).
import { type ReplicatedDatabase, startReplicatedDatabase } from '@shop/db/testing';
import { createProduct } from '@shop/domain/testing';
import { sleep } from '@shop/proc';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, register, type ShopInstance, startInstance, stopAll } from './harness.ts';

let db: ReplicatedDatabase;
let instance: ShopInstance & { stdout(): string };

beforeAll(async () => {
  db = await startReplicatedDatabase();
  instance = await startInstance(
    'replica-reads',
    {
      DATABASE_URL: db.url,
      DATABASE_REPLICA_URLS: db.replicaUrl,
      SESSION_SECRET: 'replica-test-session-secret-0123456789abcdef',
      // Every catalog read reaches the database, so each one shows where it was read.
      CATALOG_CACHE_MS: '0',
      LOG_LEVEL: 'warn',
    },
    { captureStdout: true },
  );
}, 180_000);
afterAll(async () => {
  await db?.remove();
  await stopAll();
}, 60_000);

/** shop_db_replica_reads_total for one server, from the instance's /metrics. */
async function readsServedBy(by: 'replica' | 'primary'): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('shop_db_replica_reads_total') && l.includes(`served_by="${by}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const codeOf = (error: unknown) => (error instanceof TRPCClientError ? (error.data as { code?: string } | undefined)?.code : error);

describe('catalog reads on a read replica', () => {
  it('reads the catalog from the replica, and what a shopper has just written from the primary', async () => {
    const guest = clients(instance.url, '').http;
    const before = await readsServedBy('replica');
    await guest.catalog.categories.query();
    expect(await readsServedBy('replica')).toBe(before + 1);

    // A replica far behind: it applies nothing the primary writes from here on.
    await db.pauseReplay(true);
    try {
      const productId = await createProduct(db.orm.em.fork(), { stock: 5, name: 'Replica Lamp', slugPrefix: 'replica-lamp' });
      const [row] = await db.orm.em.fork().execute<{ slug: string }[]>('select slug from products where id = ?', [productId]);
      const slug = row?.slug ?? '';
      // The catalog reads the replica, which does not have it yet.
      expect(codeOf(await guest.catalog.product.query({ slug }).catch((e: unknown) => e))).toBe('NOT_FOUND');

      // Signing up, the session reloaded on every call, the cart and the wishlist: all on the primary.
      const shopper = clients(instance.url, await register(instance.url, 'replica-shopper')).http;
      expect((await shopper.auth.me.query())?.name).toBe('replica-shopper');
      await shopper.cart.add.mutate({ productId, quantity: 2 });
      expect((await shopper.cart.get.query()).lines).toEqual([expect.objectContaining({ productId, quantity: 2 })]);
      await shopper.wishlist.add.mutate({ productId });
      expect((await shopper.wishlist.list.query()).map((item) => item.id)).toEqual([productId]);
    } finally {
      await db.pauseReplay(false);
    }
    await db.caughtUp();
    const [row] = await db.orm.em.fork().execute<{ slug: string }[]>(`select slug from products where name = 'Replica Lamp'`);
    expect((await guest.catalog.product.query({ slug: row?.slug ?? '' })).name).toBe('Replica Lamp');
  });

  it('answers every read from the primary while the replica is down, with no failed request and the instance ready', async () => {
    const primaryBefore = await readsServedBy('primary');
    const statuses: number[] = [];
    const paths = [
      `catalog.list?input=${encodeURIComponent(JSON.stringify({ limit: 5 }))}`,
      `catalog.list?input=${encodeURIComponent(JSON.stringify({ search: 'lamp', limit: 5 }))}`,
      'catalog.categories',
    ];
    const readers = Array.from({ length: 6 }, async (_, i) => {
      const end = Date.now() + 4_000;
      for (let n = i; Date.now() < end; n++) {
        const res = await fetch(`${instance.url}/trpc/${paths[n % paths.length]}`, { signal: AbortSignal.timeout(10_000) });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    });
    await sleep(1_000);
    // pg_ctl stop -m immediate: the replica quits at once, its sessions cut mid-query.
    await db.replica.stop('immediate');
    await Promise.all(readers);

    expect(statuses.length).toBeGreaterThan(30);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await readsServedBy('primary')).toBeGreaterThan(primaryBefore + 10);
    // The primary is all readiness needs: a replica down takes no instance out of rotation.
    expect((await fetch(`${instance.url}/ready`)).status).toBe(200);
    const warning = instance
      .stdout()
      .split('\n')
      .find((line) => line.includes('read replica unreachable'));
    expect(warning).toContain(`replica-1 (127.0.0.1:${db.replica.port})`);
  });
});
