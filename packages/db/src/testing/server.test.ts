import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { postgresBin } from '@shop/proc';
import { describe, expect, inject, it } from 'vitest';
import { findTool, query, serverMajor } from '../cli/pg-tools.ts';
import { createTestDatabase } from './database.ts';
import { startTestServer } from './server.ts';

const run = promisify(execFile);
// Port 1 never has PostgreSQL: what a fresh machine without a local server looks like.
const NO_LOCAL_SERVER = 'postgres://postgres@127.0.0.1:1/postgres';

const majorOf = (version: string) => Number(/\d+/.exec(version)?.[0]);

describe('the tests’ PostgreSQL server', () => {
  it('falls back to a private server from Debian’s binaries when no local one answers, of pg_dump’s major version', async () => {
    const server = await startTestServer({ TEST_PG_LOCAL: NO_LOCAL_SERVER });
    try {
      expect(server).toMatchObject({
        kind: 'private',
        note: expect.stringContaining('no PostgreSQL at 127.0.0.1:1 took a password-less connection (connect ECONNREFUSED'),
      });
      const major = await serverMajor(server.adminUrl);
      expect(major).toBe(majorOf((await run('pg_dump', ['--version'])).stdout));
      // db:backup and db:restore pick the tools beside the server's own binaries.
      for (const tool of ['pg_dump', 'pg_restore'] as const) {
        expect(await findTool(tool, major)).toEqual({ path: join(postgresBin(), tool), major });
      }
      // The shop's migrations (pg_trgm among them) run on it.
      const db = await createTestDatabase(server.adminUrl);
      expect(await query(db.url, 'select count(*)::int as n from products')).toEqual([{ n: 0 }]);
      await db.drop();
    } finally {
      await server.stop();
    }
    await expect(query(server.adminUrl, 'select 1')).rejects.toThrow();
  }, 60_000);

  it('uses the local server when it answers, and DATABASE_URL’s server before either', async () => {
    const answering = inject('pgAdminUrl');
    await expect(startTestServer({ TEST_PG_LOCAL: answering })).resolves.toMatchObject({ kind: 'local', adminUrl: answering });
    const configured = await startTestServer({ DATABASE_URL: 'postgres://u@db.example:5432/shop', TEST_PG_LOCAL: answering });
    expect(configured).toMatchObject({ kind: 'configured', adminUrl: 'postgres://u@db.example:5432/postgres' });
  });
});
