import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { query } from './cli/pg-tools.ts';
import { closedToPostgres, openDatabase } from './embedded.ts';

const parent = await mkdtemp(join(tmpdir(), 'shop-embedded-'));
// mkdtemp makes 0700 folders; PostgreSQL runs as another OS user when we are root.
await chmod(parent, 0o755);
afterAll(() => rm(parent, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('uses the configured URL as it is, starting nothing', async () => {
    const db = await openDatabase({ url: 'postgres://u@db.example:5432/shop', dataDir: join(parent, 'unused') });
    expect(db).toMatchObject({ url: 'postgres://u@db.example:5432/shop', embedded: false });
    await db.stop();
  });

  it('finds the folder a root-started PostgreSQL (the postgres user) could not enter', async () => {
    const closed = join(parent, 'closed');
    await mkdir(closed, { mode: 0o700 });
    expect(await closedToPostgres(join(closed, 'pg'))).toBe(closed);
    expect(await closedToPostgres(join(parent, 'open', 'pg'))).toBeNull();
  });

  it('starts embedded PostgreSQL on first use, keeps its data across restarts, and says why a second one on the same data cannot start', async () => {
    const dataDir = join(parent, 'pg');
    const first = await openDatabase({ dataDir, database: 'shop' });
    expect(first.embedded).toBe(true);
    expect(new URL(first.url).port).not.toBe('5432');
    await query(first.url, 'create table kept (v int); insert into kept values (42)');
    await first.stop();

    const second = await openDatabase({ dataDir, database: 'shop' });
    try {
      expect(await query<{ v: number }>(second.url, 'select v from kept')).toEqual([{ v: 42 }]);
      // A second shop started on the same data while this one runs is told why it cannot.
      await expect(openDatabase({ dataDir, database: 'shop' })).rejects.toThrow(/another server holds .* DATA_DIR/);
      const [ext] = await query<{ n: number }>(second.url, "select count(*)::int as n from pg_available_extensions where name = 'pg_trgm'");
      expect(ext?.n).toBe(1);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
