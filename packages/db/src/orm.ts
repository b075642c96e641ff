import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { type OrmConfigInput, ormConfig } from './config.ts';

export type Orm = MikroORM;

export async function createOrm(input: OrmConfigInput): Promise<Orm> {
  return MikroORM.init(ormConfig(input));
}

/**
 * Opens the pool's `min` connections now, so the first burst of traffic finds them ready: a new
 * connection costs a round of authentication and session settings, and each prepared statement
 * is parsed again on it. Concurrent queries each take a connection of their own; the pool keeps
 * `min` of them however idle. Best effort: returns the errors of those that could not be opened
 * (the server's max_connections reached, say), and the pool opens them later as it needs them.
 * Replicas' pools fill as they are used (and then keep their `min` too).
 */
export async function warmPool(orm: Orm): Promise<unknown[]> {
  const count = orm.config.get('pool')?.min ?? 0;
  const connection = orm.em.getConnection();
  const opened = await Promise.allSettled(Array.from({ length: count }, () => connection.execute('select 1')));
  return opened.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
}

/** The advisory lock key every migrator of this database takes (any constant; "shop" in ASCII). */
export const MIGRATION_LOCK_KEY = 0x73686f70;

/**
 * Applies every pending migration; returns the names applied. Instances, the migration Job and the
 * CLI may start together on a fresh database: the advisory lock lets one migrate while the others
 * wait, then find nothing left to do (without it, all but one failed on `create extension`).
 */
export async function migrate(orm: Orm): Promise<string[]> {
  // A session of its own holds the lock; ending it releases the lock, even after a failure.
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.end();
  }
}
