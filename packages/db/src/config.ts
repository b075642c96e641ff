import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { entities } from './entities/index.ts';
import { migrationsList } from './migrations/index.ts';
import { PreparingClient } from './prepared.ts';
import { REPLICA_CONNECT_TIMEOUT_MS, ReplicaAwareDriver } from './replicas.ts';

export interface OrmConfigInput {
  /** postgres:// URL of the database to use. */
  url: string;
  /** Connection pool size per process (and per read replica). */
  poolMax?: number;
  /** Connections the pool keeps once opened, however idle (`warmPool` opens them); 0 by default. */
  poolMin?: number;
  /** Streaming replicas of `url` that catalog reads may use (see replicas.ts); none by default. */
  replicaUrls?: readonly string[];
  debug?: boolean;
}

/**
 * Session settings of every connection the shop opens; the benchmark's floor and plan check open
 * theirs with the same (`pgSessionOptions`), so they run the same plans.
 */
export const SESSION_SETTINGS = {
  // Catalog search's typo tolerance (`<%`) matches from this word similarity on; pg_trgm's
  // default of 0.6 misses one-letter typos in short words.
  'pg_trgm.word_similarity_threshold': '0.4',
  // No parallel query: the app runs many short statements at once, and starting workers cost
  // more than they saved (a filtered catalog search took ~80 ms with two workers, ~45 without).
  max_parallel_workers_per_gather: '0',
  // A catalog's pages are in memory or on SSD, where a random read costs about what a sequential
  // one does (PostgreSQL's default of 4 is for spinning disks): at 4 the planner reads all of a
  // word's matches (thousands) rather than look up a window's rows one by one by id.
  random_page_cost: '1.1',
  // No JIT: it compiles a plan whose estimated cost passes 100,000 (a search's statement is ~45,000
  // at a million products, one estimate away), tens of milliseconds for a query that runs in a few.
  jit: 'off',
} as const;

/** SESSION_SETTINGS as libpq's `options` (`-c name=value …`), for a plain pg client or pool. */
export const pgSessionOptions = Object.entries(SESSION_SETTINGS)
  .map(([name, value]) => `-c ${name}=${value}`)
  .join(' ');

/** One statement applying SESSION_SETTINGS to a connection. */
const SESSION_SETTINGS_SQL = `select ${Object.entries(SESSION_SETTINGS)
  .map(([name, value]) => `set_config('${name}', '${value}', false)`)
  .join(', ')}`;

/**
 * pg-pool options for every pool (the primary's and each replica's). `verify` runs on a new
 * connection before it is handed out: one whose settings fail (its server went away meanwhile) is
 * discarded and the caller gets the error. MikroORM's `onCreateConnection` (Kysely's) left such a
 * connection checked out for good: a pool slot lost per failure, and a pool that never closed.
 */
const poolOptions = {
  Client: PreparingClient,
  // Connections stay open however idle (DB_POOL_MIN): TCP keepalive stops a NAT or load balancer
  // from dropping them silently in a quiet spell, which the next burst would find as resets.
  keepAlive: true,
  keepAliveInitialDelayMillis: 30_000,
  verify(client: { query(sql: string): Promise<unknown> }, done: (error?: Error) => void) {
    client.query(SESSION_SETTINGS_SQL).then(() => done(), done);
  },
};

const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));

export function ormConfig({ url, poolMax = 10, poolMin = 0, replicaUrls = [], debug = false }: OrmConfigInput): Options {
  return defineConfig({
    clientUrl: url,
    driver: ReplicaAwareDriver,
    // MikroORM's default sends every read outside a transaction to a random replica. Here every
    // read goes to the primary unless it asks for a replica (catalog reads, through ReplicaReads),
    // so nobody reads their own write back from a replica that has not replayed it yet.
    preferReadReplicas: false,
    replicas: replicaUrls.map((clientUrl, i) => ({
      name: `replica-${i + 1}`,
      clientUrl,
      // A physical replica holds the primary's databases: a URL without one means the primary's.
      dbName: databaseOf(clientUrl) || databaseOf(url),
      // A replica that does not answer gives way to the primary after this, not after TCP's minutes.
      driverOptions: { ...poolOptions, connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS },
    })),
    entities,
    extensions: [Migrator],
    migrations: {
      // Listed explicitly, so migrating needs no file-system discovery and works from any cwd.
      migrationsList,
      path: new URL('./migrations', import.meta.url).pathname,
      pathTs: new URL('./migrations', import.meta.url).pathname,
      snapshot: false,
      silent: true,
    },
    pool: { min: poolMin, max: poolMax },
    // Triggers and functions (category counts, search words, typo correction) are written in the
    // migrations as SQL and plpgsql, not declared on entities: the schema diff leaves them alone.
    schemaGenerator: { ignoreTriggers: true, ignoreRoutines: true },
    driverOptions: poolOptions,
    debug,
    // No metadata cache files on disk: defineEntity metadata is cheap to build.
    metadataCache: { enabled: false },
    // Every request forks its own EntityManager; the global one must never be used implicitly.
    allowGlobalContext: false,
  });
}
