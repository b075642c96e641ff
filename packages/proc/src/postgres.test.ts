import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type PostgresServer, postgresBin, startPostgres, startReplica } from './postgres.ts';
import { stopAll } from './process.ts';
import { waitFor } from './wait.ts';

const run = promisify(execFile);
const psql = async (server: PostgresServer, sql: string) =>
  (await run(join(postgresBin(), 'psql'), [server.url, '-XAtc', sql], { timeout: 10_000 })).stdout.trim();

const started: PostgresServer[] = [];
afterAll(async () => {
  for (const server of started.reverse()) await server.remove();
  await stopAll();
}, 60_000);

describe('private PostgreSQL', () => {
  it('streams a primary to a replica, which survives an immediate stop, and removes its folders', async () => {
    const primary = await startPostgres();
    started.push(primary);
    const replica = await startReplica(primary);
    started.push(replica);
    expect(await psql(primary, 'select pg_is_in_recovery()')).toBe('f');
    expect(await psql(replica, 'select pg_is_in_recovery()')).toBe('t');

    await psql(primary, 'create table kit (v int); insert into kit values (42)');
    await waitFor(async () => (await psql(replica, 'select v from kit')) === '42', 'the row on the replica', { timeoutMs: 10_000 });

    // pg_ctl stop -m immediate: no shutdown checkpoint; it recovers and streams again on start.
    await replica.stop('immediate');
    await expect(psql(replica, 'select 1')).rejects.toThrow();
    await psql(primary, 'insert into kit values (43)');
    await replica.start();
    await waitFor(async () => (await psql(replica, 'select sum(v) from kit')) === '85', 'the replica to catch up', { timeoutMs: 10_000 });

    await replica.remove();
    await primary.remove();
    expect([existsSync(dirname(replica.dataDir)), existsSync(dirname(primary.dataDir))]).toEqual([false, false]);
  }, 60_000);
});
