// A private primary with a migrated shop database and a hot-standby streaming replica of it
// (@shop/proc's PostgreSQL kit), for the read-replica tests. Everything is stopped by PID.
import { type PostgresServer, sleep, startPostgres, startReplica, waitFor } from '@shop/proc';
import { query } from '../cli/pg-tools.ts';
import { createOrm, migrate, type Orm } from '../orm.ts';

export interface ReplicatedDatabase {
  primary: PostgresServer;
  replica: PostgresServer;
  /** The shop database on the primary, and on the replica. */
  url: string;
  replicaUrl: string;
  /** Migrated, with the replica configured (`replicaUrls`). */
  orm: Orm;
  /** Resolves once the replica has replayed everything the primary had written when called. */
  caughtUp(timeoutMs?: number): Promise<void>;
  /** Stops (or resumes) applying the primary's changes on the replica: a replica far behind. */
  pauseReplay(paused: boolean): Promise<void>;
  /** Closes the ORM, then stops both servers and deletes their folders. */
  remove(): Promise<void>;
}

const onDatabase = (server: PostgresServer, database: string) => {
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return url.toString();
};

export async function startReplicatedDatabase(options: { poolMax?: number } = {}): Promise<ReplicatedDatabase> {
  const primary = await startPostgres();
  let replica: PostgresServer | undefined;
  let orm: Orm | undefined;
  try {
    await query(primary.url, 'create database shop');
    replica = await startReplica(primary);
    const url = onDatabase(primary, 'shop');
    const replicaUrl = onDatabase(replica, 'shop');
    orm = await createOrm({ url, replicaUrls: [replicaUrl], ...(options.poolMax ? { poolMax: options.poolMax } : {}) });
    await migrate(orm);
    const standby = replica;
    const database: ReplicatedDatabase = {
      primary,
      replica: standby,
      url,
      replicaUrl,
      orm,
      async caughtUp(timeoutMs = 30_000) {
        const [target] = await query<{ lsn: string }>(primary.url, 'select pg_current_wal_lsn()::text as lsn');
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const [row] = await query<{ done: boolean }>(standby.url, `select pg_last_wal_replay_lsn() >= '${target?.lsn}'::pg_lsn as done`);
          if (row?.done) return;
          if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${target?.lsn} within ${timeoutMs} ms`);
          await sleep(20);
        }
      },
      async pauseReplay(paused) {
        if (!paused) return void (await query(standby.url, 'select pg_wal_replay_resume()'));
        await query(standby.url, 'select pg_wal_replay_pause()');
        // The request takes effect between records: wait until replay has actually stopped.
        await waitFor(
          async () =>
            (await query<{ state: string }>(standby.url, 'select pg_get_wal_replay_pause_state() as state'))[0]?.state === 'paused',
          'the replica to pause its replay',
          { timeoutMs: 10_000, intervalMs: 20 },
        );
      },
      async remove() {
        // Bounded: a pool that cannot close must not leave the servers running after the test.
        await Promise.race([database.orm.close(true), sleep(10_000)]);
        await standby.remove();
        await primary.remove();
      },
    };
    // Tests start from a replica that has the schema: one still replaying the migrations has no tables yet.
    await database.caughtUp();
    return database;
  } catch (error) {
    await orm?.close(true);
    await replica?.remove();
    await primary.remove();
    throw error;
  }
}
