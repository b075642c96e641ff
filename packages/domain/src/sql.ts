import type { Connection } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type PreparedStatement, type PreparedValue, ReplicaReads } from '@shop/db';
import { CompiledQuery } from 'kysely';

/**
 * Where raw SQL runs: an EntityManager (inside its transaction when it has one), the shared
 * connection, for long-lived readers (live streams) that must not keep their call's fork, or the
 * read replicas (`ctx.replica`), for reads that may lag the writes.
 */
export type Db = EntityManager | Connection | ReplicaReads;

/** The primary's SQL connection (an EntityManager's, without its transaction). */
export type SqlConnection = ReturnType<EntityManager['getConnection']>;
type Runner = ReturnType<SqlConnection['getClient']>;

/**
 * Raw SQL on the EntityManager's connection, inside its transaction when it has one, so that
 * row locks taken by one statement hold for the next. `?` placeholders; an array parameter
 * expands to a comma-separated list (for `in (?)`, never empty).
 */
export function sql<T extends object>(db: Db, query: string, params: readonly unknown[] = []): Promise<T[]> {
  if (db instanceof ReplicaReads) return db.execute<T>(query, params);
  if ('getConnection' in db) return db.getConnection().execute<T[]>(query, params, 'all', db.getTransactionContext());
  return db.execute<T[]>(query, params as unknown[], 'all');
}

/**
 * A declared prepared statement (`preparedStatement` in @shop/db: a hot path's statement, planned
 * once per connection) with its `$1…$n` values, inside the EntityManager's transaction when it
 * has one. Errors are the driver's, as with `sql`. It goes to Kysely's client directly, past
 * MikroORM's query logging (`debug`) and its `onQuery` hook.
 */
export async function prepared<T extends object>(
  db: EntityManager | SqlConnection,
  statement: PreparedStatement<T>,
  params: readonly PreparedValue[],
): Promise<T[]> {
  const [connection, transaction] = 'getConnection' in db ? [db.getConnection(), db.getTransactionContext<Runner>()] : [db, undefined];
  await connection.ensureConnection();
  const result = await (transaction ?? connection.getClient()).executeQuery<T>(CompiledQuery.raw(statement.text, [...params]));
  return result.rows as T[];
}

/**
 * Whether a query failed on the named unique constraint. Raw queries surface the driver's error
 * (SQLSTATE 23505 and the constraint's name), not the ORM's converted exception.
 */
export function violatesUnique(error: unknown, constraint: string): boolean {
  return violates(error, '23505', constraint);
}

/** Whether a query failed on the named check constraint (SQLSTATE 23514). */
export function violatesCheck(error: unknown, constraint: string): boolean {
  return violates(error, '23514', constraint);
}

function violates(error: unknown, sqlState: string, constraint: string): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === sqlState &&
    'constraint' in error &&
    error.constraint === constraint
  );
}
