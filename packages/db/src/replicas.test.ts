// Against a real streaming replica (initdb + pg_basebackup -R of a private primary).
import { freePort, sleep, stopAll } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Category } from './entities/index.ts';
import { createOrm, type Orm } from './orm.ts';
import { type ReadServer, type ReplicaAwareDriver, replicaReads } from './replicas.ts';
import { type ReplicatedDatabase, startReplicatedDatabase } from './testing/replicated.ts';

let db: ReplicatedDatabase;
const others: Orm[] = [];

beforeAll(async () => {
  db = await startReplicatedDatabase();
}, 120_000);
afterAll(async () => {
  await Promise.all(others.map((orm) => orm.close(true)));
  await db?.remove();
  await stopAll();
}, 60_000);

/** A ReplicaReads over `orm` that records who answered and which replicas went down. */
function recorded(orm: Orm, downMs = 60_000) {
  const served: ReadServer[] = [];
  const down: string[] = [];
  const reads = replicaReads(orm, { downMs, onRead: (by) => served.push(by), onDown: (name) => down.push(name) });
  return { reads, served, down };
}

const inRecovery = async (reads: ReturnType<typeof recorded>['reads']) =>
  (await reads.execute<{ standby: boolean }>('select pg_is_in_recovery() as standby'))[0]?.standby;

describe('read replicas', () => {
  it('runs ReplicaReads on the replica, and everything the ORM reads by itself on the primary', async () => {
    const { reads, served } = recorded(db.orm);
    expect(await inRecovery(reads)).toBe(true);
    expect(served).toEqual(['replica']);
    const em = db.orm.em.fork();
    expect((await em.execute<{ standby: boolean }[]>('select pg_is_in_recovery() as standby'))[0]?.standby).toBe(false);

    // A replica that has not replayed a write yet: MikroORM's default (preferReadReplicas) would
    // read it there and miss the category just created.
    await db.pauseReplay(true);
    try {
      em.create(Category, { slug: 'just-written', name: 'Just written' });
      await em.flush();
      expect(await db.orm.em.fork().findOne(Category, { slug: 'just-written' })).not.toBeNull();
      expect(await reads.execute('select id from categories where slug = ?', ['just-written'])).toEqual([]);
    } finally {
      await db.pauseReplay(false);
    }
    await db.caughtUp();
    expect(await reads.execute('select id from categories where slug = ?', ['just-written'])).toHaveLength(1);
  });

  it("gives the replica's connections the shop's session settings, as the primary's", async () => {
    const setting = `select current_setting('pg_trgm.word_similarity_threshold') as threshold, current_setting('jit') as jit`;
    const { reads, served } = recorded(db.orm);
    expect(await reads.execute(setting)).toEqual([{ threshold: '0.4', jit: 'off' }]);
    expect(served).toEqual(['replica']);
    expect(await db.orm.em.fork().execute(setting)).toEqual([{ threshold: '0.4', jit: 'off' }]);
  });

  it('takes the replicas in turn and skips one that cannot be reached, reporting it once', async () => {
    const closed = `postgres://postgres@127.0.0.1:${await freePort()}/shop`;
    const orm = await createOrm({ url: db.url, replicaUrls: [closed, db.replicaUrl], poolMax: 2 });
    others.push(orm);
    const { reads, served, down } = recorded(orm);
    expect(reads.replicaCount).toBe(2);
    const standby: unknown[] = [];
    for (let i = 0; i < 6; i++) standby.push(await inRecovery(reads));
    // The first read tried the closed one and got its answer from the primary; then only the live replica.
    expect(standby).toEqual([false, true, true, true, true, true]);
    expect(served).toEqual(['primary', 'replica', 'replica', 'replica', 'replica', 'replica']);
    expect(down).toEqual([`replica-1 (${new URL(closed).host})`]);
  });

  it('fails a wrong statement as the primary would, and keeps the replica', async () => {
    const { reads, served, down } = recorded(db.orm);
    await expect(reads.execute('select no_such_column from categories')).rejects.toMatchObject({ code: '42703' });
    expect(await inRecovery(reads)).toBe(true);
    expect({ served, down }).toEqual({ served: ['replica'], down: [] });
  });

  it('answers from the primary without a failed read while the replica is down, and from the replica once it is back', async () => {
    const { reads, served, down } = recorded(db.orm, 1_000);
    const failures: unknown[] = [];
    let stopAt = -1;
    // Eight readers back to back; the replica stops (pg_ctl stop -m immediate) under them.
    const readers = Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 40; i++) {
        await reads.execute('select count(*) from categories').catch((error: unknown) => failures.push(error));
        if (i === 10 && stopAt < 0) {
          stopAt = served.length;
          await db.replica.stop('immediate');
        }
      }
    });
    await Promise.all(readers);
    expect(failures).toEqual([]);
    expect(served).toHaveLength(8 * 40);
    expect(served.slice(0, stopAt).every((by) => by === 'replica')).toBe(true);
    // Reads in flight as it stopped may still have finished there; everything after is the primary's.
    expect(served.slice(-100).every((by) => by === 'primary')).toBe(true);
    // Once per outage: again only if the readers outlasted `downMs` and tried it once more.
    expect(down.length).toBeGreaterThanOrEqual(1);
    expect(await inRecovery(reads)).toBe(false);
    // No connection stays checked out of the replica's pool: one that broke while it was being
    // opened is discarded, not held for good (the pool would shrink, and never close).
    const [replicaConnection] = (db.orm.driver as ReplicaAwareDriver).readReplicas;
    const pool = (await replicaConnection?.getNativeClient()) as { totalCount: number; idleCount: number } | undefined;
    expect(pool && pool.totalCount - pool.idleCount).toBe(0);

    await db.replica.start();
    await sleep(1_100);
    expect(await inRecovery(reads)).toBe(true);
    expect(served.at(-1)).toBe('replica');
  });
});
