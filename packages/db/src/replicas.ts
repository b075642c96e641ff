// Read replicas (DATABASE_REPLICA_URLS): MikroORM opens a pool per replica (`replicas` in
// config.ts, with `preferReadReplicas: false`, so nothing goes there unasked). What it does not do
// is notice that a replica is down: its `getConnection('read')` picks one at random, every time.
// ReplicaReads is the one way the shop asks for a replica, and it falls back to the primary.
import type { Connection } from '@mikro-orm/core';
import { type PostgreSqlConnection, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Orm } from './orm.ts';

/** How long a new connection to a replica may take before the read goes to the primary instead. */
export const REPLICA_CONNECT_TIMEOUT_MS = 2_000;

/** How long a replica that could not be reached is left alone by default. */
const DOWN_MS = 10_000;

/** MikroORM's PostgreSQL driver, showing each read replica's connection (MikroORM keeps them to itself). */
export class ReplicaAwareDriver extends PostgreSqlDriver {
  get readReplicas(): readonly PostgreSqlConnection[] {
    return this.replicas;
  }
}

/** The server that answered a read. */
export type ReadServer = 'replica' | 'primary';

export interface ReplicaReadsOptions {
  /** How long a replica that could not be reached is left alone (its reads go to the primary); 10 s. */
  downMs?: number;
  /** Every read, with the server that answered it. */
  onRead?(by: ReadServer): void;
  /** A replica could not be reached and is left alone for `downMs`: once per outage, not per read. */
  onDown?(replica: string, error: Error): void;
}

interface Replica {
  connection: Connection;
  /** Its name and address, without credentials, for logs. */
  label: string;
  downUntil: number;
}

/** A SQLSTATE of a statement that is wrong wherever it runs (bad data, a constraint, bad SQL). */
const refusedStatement = (error: Error) => /^(22|23|42)/.test(sqlState(error) ?? '');

/**
 * The replica cannot serve for now: no server answer at all (refused, reset, timed out), a
 * connection failure (08), shutting down or starting up (57P01–57P03), or out of connections (53).
 */
const unreachable = (error: Error) => {
  const code = sqlState(error);
  return code === undefined || /^(08|57P|53)/.test(code);
};

/** The SQLSTATE of an error PostgreSQL sent (pg's DatabaseError carries a severity); none for socket errors. */
function sqlState(error: Error): string | undefined {
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof severity === 'string' && typeof code === 'string' ? code : undefined;
}

/**
 * Reads that may lag the writes by a replica's replay delay: each goes to the next replica in turn
 * that is not left alone, or to the primary when there is none. A read that fails on a replica for
 * any reason but a wrong statement runs again on the primary, so the caller never sees the replica
 * fail; a replica that could not be reached is left alone for `downMs`, then tried again.
 */
export class ReplicaReads {
  readonly #primary: Connection;
  readonly #replicas: Replica[];
  readonly #options: ReplicaReadsOptions;
  #turn = 0;

  constructor(primary: Connection, replicas: readonly { connection: Connection; label: string }[], options: ReplicaReadsOptions = {}) {
    this.#primary = primary;
    this.#replicas = replicas.map((r) => ({ ...r, downUntil: 0 }));
    this.#options = options;
  }

  /** Replicas configured (up or not). */
  get replicaCount(): number {
    return this.#replicas.length;
  }

  /** Rows of one raw statement (`?` placeholders), from a replica or, failing that, the primary. */
  async execute<T extends object>(query: string, params: readonly unknown[] = []): Promise<T[]> {
    const replica = this.#pick();
    if (replica) {
      try {
        const rows = await replica.connection.execute<T[]>(query, [...params], 'all');
        this.#options.onRead?.('replica');
        return rows;
      } catch (error) {
        if (!(error instanceof Error) || refusedStatement(error)) throw error;
        // Anything else (a recovery conflict too) is the replica's problem: the primary answers.
        if (unreachable(error)) this.#leaveAlone(replica, error);
      }
    }
    const rows = await this.#primary.execute<T[]>(query, [...params], 'all');
    this.#options.onRead?.('primary');
    return rows;
  }

  #pick(): Replica | undefined {
    const now = Date.now();
    const count = this.#replicas.length;
    for (let i = 0; i < count; i++) {
      const index = (this.#turn + i) % count;
      const replica = this.#replicas[index];
      if (replica && replica.downUntil <= now) {
        this.#turn = (index + 1) % count;
        return replica;
      }
    }
    return undefined;
  }

  #leaveAlone(replica: Replica, error: Error): void {
    const now = Date.now();
    // Reads in flight when it went down fail together: one report.
    if (replica.downUntil > now) return;
    replica.downUntil = now + (this.#options.downMs ?? DOWN_MS);
    this.#options.onDown?.(replica.label, error);
  }
}

/** The ORM's replicas (none configured: every read goes to the primary) behind one ReplicaReads. */
export function replicaReads(orm: Orm, options: ReplicaReadsOptions = {}): ReplicaReads {
  const { driver } = orm;
  const connections = driver instanceof ReplicaAwareDriver ? driver.readReplicas : [];
  const configured = orm.config.get('replicas') ?? [];
  const replicas = connections.map((connection, i) => {
    const { name, clientUrl } = configured[i] ?? {};
    const address = clientUrl ? new URL(clientUrl).host : 'unknown address';
    return { connection, label: `${name ?? `replica-${i + 1}`} (${address})` };
  });
  return new ReplicaReads(driver.getConnection('write'), replicas, options);
}
