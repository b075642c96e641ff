import type { Connection } from '@mikro-orm/core';
import { sql } from '../sql.ts';

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

/** A numeric column read by row id (`select id, <column> from <table> where id in (…)`); our constants. */
export interface NumberColumn {
  table: string;
  column: string;
}

type Load = (id: string) => Promise<number | undefined>;

/**
 * Reads of numeric columns by row id, batched per tick, per connection and per column; undefined
 * for a row that is gone. One per process (a `LiveRegistry` holds it), so the rechecks its timer
 * starts in one tick share their statements. Takes the connection, not an EntityManager: a fork
 * per caller would be a loader per caller, and nothing would batch.
 */
export class NumberReads {
  readonly #loaders = new WeakMap<Connection, Map<string, Load>>();

  read(connection: Connection, { table, column }: NumberColumn, id: string): Promise<number | undefined> {
    let perColumn = this.#loaders.get(connection);
    if (!perColumn) {
      perColumn = new Map();
      this.#loaders.set(connection, perColumn);
    }
    const key = `${table}.${column}`;
    let load = perColumn.get(key);
    if (!load) {
      load = batched(async (ids) => {
        const rows = await sql<{ id: string; value: string | number }>(
          connection,
          `select id, ${column} as value from ${table} where id in (?)`,
          [ids],
        );
        return new Map(rows.map((row) => [row.id, Number(row.value)]));
      });
      perColumn.set(key, load);
    }
    return load(id);
  }
}
