import { type Db, sql } from '../sql.ts';

type Settle<V> = (outcome: { value: V | undefined } | { error: unknown }) => void;

/**
 * Coalesces the loads asked for in one tick into one call of `load` per `max` keys. The rechecks
 * of every live stream in a process start in one tick (one timer per interval), so with this they
 * cost a few statements per interval instead of one per session and one per channel.
 */
export function batched<V>(load: (keys: string[]) => Promise<Map<string, V>>, max = 500): (key: string) => Promise<V | undefined> {
  let waiting: Map<string, Settle<V>[]> | null = null;

  async function flush(batch: Map<string, Settle<V>[]>): Promise<void> {
    const keys = [...batch.keys()];
    // One chunk at a time: a recheck is background work and should not take the whole pool.
    for (let i = 0; i < keys.length; i += max) {
      const chunk = keys.slice(i, i + max);
      let outcome: { found: Map<string, V> } | { error: unknown };
      try {
        outcome = { found: await load(chunk) };
      } catch (error) {
        outcome = { error };
      }
      for (const key of chunk) {
        for (const settle of batch.get(key) ?? []) settle('found' in outcome ? { value: outcome.found.get(key) } : outcome);
      }
    }
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      let batch = waiting;
      if (!batch) {
        const fresh = new Map<string, Settle<V>[]>();
        waiting = batch = fresh;
        queueMicrotask(() => {
          waiting = null;
          void flush(fresh);
        });
      }
      const settle: Settle<V> = (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.value));
      const settles = batch.get(key);
      if (settles) settles.push(settle);
      else batch.set(key, [settle]);
    });
}

/** One loader per connection (and so per database), made on first use. */
export function perConnection<C extends object, V>(make: (connection: C) => (key: string) => Promise<V | undefined>) {
  const loaders = new WeakMap<C, (key: string) => Promise<V | undefined>>();
  return (connection: C, key: string): Promise<V | undefined> => {
    let loader = loaders.get(connection);
    if (!loader) {
      loader = make(connection);
      loaders.set(connection, loader);
    }
    return loader(key);
  };
}

/**
 * A numeric column by row id (`select id, <column> from <table> where id in (…)`), batched per
 * tick and per connection; undefined for a row that is gone. Table and column are our constants.
 */
export function numberById(table: string, column: string): (db: Db, id: string) => Promise<number | undefined> {
  return perConnection((db: Db) =>
    batched(async (ids) => {
      const rows = await sql<{ id: string; value: string | number }>(db, `select id, ${column} as value from ${table} where id in (?)`, [
        ids,
      ]);
      return new Map(rows.map((row) => [row.id, Number(row.value)]));
    }),
  );
}
