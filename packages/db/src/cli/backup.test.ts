import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '@shop/proc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { backupFileName, backupPrefix, databaseOf, findTool, serverMajor } from './pg-tools.ts';
import { datedBackups, STALE_PARTIAL_MS } from './retention.ts';

const run = promisify(execFile);
const cli = (script: string) => new URL(`./${script}`, import.meta.url).pathname;

let source: TestDatabase;
let dir: string;
let targetUrl: string;
const targetName = `shop_restore_${process.pid}_${Date.now()}`;
const newestName = `shop_restore_newest_${process.pid}_${Date.now()}`;

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** What must survive: who the users are, what they ordered, and what is in stock. */
async function snapshot(url: string) {
  return {
    users: await sql(url, 'select id, email, name, password_hash, role from users order by email'),
    orders: await sql(url, 'select id, number, user_id, status, total_cents, shipping_address from orders order by number'),
    lines: await sql(url, 'select order_id, product_id, quantity, line_total_cents from order_lines order by id'),
    stock: await sql(url, 'select slug, stock, price_cents from products order by slug'),
  };
}

beforeAll(async () => {
  source = await createTestDatabase(inject('pgAdminUrl'));
  dir = await mkdtemp(join(tmpdir(), 'shop-backup-'));
  const url = source.url;
  await sql(url, `insert into categories (slug, name) values ('tools', 'Tools')`);
  await sql(
    url,
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     select 'hammer-' || i, 'Hammer ' || i, 'Hits things.', 1000 + i, 10 * i, (select id from categories where slug = 'tools'), '/img/products/h.svg'
     from generate_series(1, 5) i`,
  );
  const [ada] = await sql<{ id: string }>(
    url,
    `insert into users (email, name, password_hash) values ('ada@example.test', 'Ada', 'hash-a') returning id`,
  );
  await sql(url, `insert into users (email, name, password_hash, role) values ('bob@example.test', 'Bob', 'hash-b', 'staff')`);
  const [order] = await sql<{ id: string }>(
    url,
    `insert into orders (user_id, subtotal_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
     values ($1, 2002, 2002, 'EUR', '{"line1":"1 Main St"}', gen_random_uuid(), 'fp') returning id`,
    [ada?.id],
  );
  await sql(
    url,
    `insert into order_lines (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
     values ($1, (select id from products where slug = 'hammer-1'), 'hammer-1', 'Hammer 1', 1001, 2, 2002)`,
    [order?.id],
  );
  await sql(url, `update products set stock = stock - 2 where slug = 'hammer-1'`);
  const target = new URL(inject('pgAdminUrl'));
  await sql(target.toString(), `create database "${targetName}"`);
  target.pathname = `/${targetName}`;
  targetUrl = target.toString();
});
afterAll(async () => {
  await source?.drop();
  for (const name of [targetName, newestName]) await sql(inject('pgAdminUrl'), `drop database if exists "${name}" with (force)`);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('db:backup and db:restore', () => {
  // The other tests' failures would only say "no pg_dump of PostgreSQL N": this one says why.
  it('finds a pg_dump and pg_restore for the test server: its major version or newer', async () => {
    const major = await serverMajor(inject('pgAdminUrl'));
    for (const tool of ['pg_dump', 'pg_restore'] as const) {
      await findTool(tool, major).catch((error: Error) => {
        throw new Error(
          `${error.message}. The test server is PostgreSQL ${major}: with TEST_PG=embedded, or with no local server and no ` +
            'Debian server binaries, it is embedded PostgreSQL, which ships no pg_dump. Install postgresql (Debian/Ubuntu; ' +
            '`pnpm test` does, via .ci/system-packages.sh) so the tests start their own server of the same major as its pg_dump, ' +
            'or set PG_BIN to the client tools of that major.',
        );
      });
    }
  });

  it('names backups by database and UTC time, a database name made one safe file-name part', () => {
    expect(backupFileName('postgres://u@h:5432/shop', new Date('2026-11-30T19:05:07.123Z'))).toBe('shop-shop-20261130T190507Z.dump');
    expect(backupFileName('postgres://u@h/../x%2F..%2Fy', new Date('2026-11-30T19:05:07Z'))).toBe('shop-x%2F..%2Fy-20261130T190507Z.dump');
    expect(databaseOf('postgres://u@h/caf%C3%A9%20100%25')).toBe('caf%C3%A9%20100%25');
    expect(databaseOf('postgres://u@h:5432')).toBe('postgres');
  });

  it('round-trips users, orders and stock into a new database, and refuses to restore over data', async () => {
    const backup = await run(process.execPath, [cli('backup.ts')], { env: { ...process.env, DATABASE_URL: source.url, BACKUP_DIR: dir } });
    const file = backup.stdout.trim();
    expect(file.startsWith(dir)).toBe(true);
    expect(file).toMatch(/shop-shop_test_\w+-\d{8}T\d{6}Z\.dump$/);
    expect(existsSync(file)).toBe(true);

    await run(process.execPath, [cli('restore.ts'), file], { env: { ...process.env, DATABASE_URL: targetUrl } });
    const [before, after] = [await snapshot(source.url), await snapshot(targetUrl)];
    expect(after.users.map((u) => (u as { email: string }).email)).toEqual(['ada@example.test', 'bob@example.test']);
    expect(after.orders).toHaveLength(1);
    expect(after.stock).toHaveLength(5);
    expect(after).toEqual(before);

    // The target now has tables: a second restore would mix data, so it is refused unless --clean.
    const refused = await run(process.execPath, [cli('restore.ts'), file], { env: { ...process.env, DATABASE_URL: targetUrl } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('--clean') });

    await sql(targetUrl, `update products set stock = 0`);
    await run(process.execPath, [cli('restore.ts'), file, '--clean'], { env: { ...process.env, DATABASE_URL: targetUrl } });
    expect(await snapshot(targetUrl)).toEqual(before);
  });
});

/** Rows per table of the public schema, and a checksum of every order and order line. */
async function fingerprint(url: string) {
  const tables = await sql<{ name: string }>(url, `select tablename as name from pg_tables where schemaname = 'public' order by 1`);
  const rows: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ n: number }>(url, `select count(*)::int as n from "${name}"`);
    rows[name] = row?.n ?? -1;
  }
  const checksum = async (table: string) =>
    (await sql<{ md5: string }>(url, `select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as md5 from ${table} t`))[0]?.md5;
  return { rows, orders: await checksum('orders'), lines: await checksum('order_lines') };
}

describe('db:backup retention', () => {
  const backup = (env: Record<string, string>, args: string[] = []) =>
    run(process.execPath, [cli('backup.ts'), ...args], { env: { ...process.env, DATABASE_URL: source.url, ...env } });
  const failure = (error: { code: number; stderr: string }) => error;

  it('keeps the newest BACKUP_KEEP (or --keep) dated backups of the database, and the newest restores to the same rows', async () => {
    const folder = await mkdtemp(join(dir, 'retention-'));
    const database = databaseOf(source.url);
    const old = (day: number) => `shop-${database}-202001${String(day).padStart(2, '0')}T030000Z.dump`;
    // Older dated dumps of this database (not restorable: restoring one of them would fail), and
    // files retention must leave alone: another database's, a named one, anything else.
    const untouched = [`shop-other_db-20200101T030000Z.dump`, 'before-upgrade.dump', 'notes.txt'];
    for (const name of [old(1), old(2), old(3), ...untouched]) await writeFile(join(folder, name), 'not a dump');

    const first = (await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '2' })).stdout.trim();
    expect((await readdir(folder)).sort()).toEqual([old(3), basename(first), ...untouched].sort());

    // More orders after the first backup: the newest backup must hold them.
    const [ada] = await sql<{ id: string }>(source.url, `select id from users where email = 'ada@example.test'`);
    await sql(
      source.url,
      `insert into orders (user_id, subtotal_cents, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint, status)
       select $1, 1000 * i, 1000 * i, 'EUR', '{"line1":"2 Side St"}', gen_random_uuid(), 'fp-' || i, 'shipped' from generate_series(1, 3) i`,
      [ada?.id],
    );
    await sleep(1100); // a later second: another file name
    // The flag wins over the variable.
    const second = (await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '5' }, ['--keep', '1'])).stdout.trim();
    expect(second).not.toBe(first);
    expect((await readdir(folder)).sort()).toEqual([basename(second), ...untouched].sort());

    const newest = (await datedBackups(folder, source.url)).at(-1);
    expect(newest).toBe(second);
    const target = new URL(inject('pgAdminUrl'));
    await sql(target.toString(), `create database "${newestName}"`);
    target.pathname = `/${newestName}`;
    await run(process.execPath, [cli('restore.ts'), second], { env: { ...process.env, DATABASE_URL: target.toString() } });

    const [before, after] = [await fingerprint(source.url), await fingerprint(target.toString())];
    expect(after).toEqual(before);
    expect(after.rows.orders).toBe(4);
    // The comparison covers the tables the shop writes to, not only empty ones.
    expect(Object.values(after.rows).filter((n) => n > 0).length).toBeGreaterThanOrEqual(6);
  }, 60_000);

  it('deletes nothing when the dump fails, and refuses a bad count before dumping', async () => {
    const folder = await mkdtemp(join(dir, 'failed-'));
    const missing = new URL(source.url);
    missing.pathname = `/${databaseOf(source.url)}_missing`;
    const kept = [
      `shop-${databaseOf(missing.toString())}-20200101T030000Z.dump`,
      `shop-${databaseOf(missing.toString())}-20200102T030000Z.dump`,
    ];
    for (const name of kept) await writeFile(join(folder, name), 'not a dump');
    const failed = await backup({ DATABASE_URL: missing.toString(), BACKUP_DIR: folder, BACKUP_KEEP: '1' }).catch(failure);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('backup failed') });
    expect((await readdir(folder)).sort()).toEqual(kept);

    expect(await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '0' }).catch(failure)).toMatchObject({
      code: 78,
      stderr: expect.stringContaining('BACKUP_KEEP'),
    });
    expect(await backup({ BACKUP_DIR: folder }, ['--keep', 'all']).catch(failure)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--keep'),
    });
    expect((await readdir(folder)).sort()).toEqual(kept);
  }, 60_000);

  it('writes the dump readable by its owner only, in a folder it creates for its owner only, and warns of one others can open', async () => {
    const folder = join(await mkdtemp(join(dir, 'modes-')), 'backups', 'daily');
    const written = (await backup({ BACKUP_DIR: folder })).stdout.trim();
    expect((await stat(written)).mode & 0o777).toBe(0o600);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);

    await chmod(folder, 0o755);
    const open = await backup({ BACKUP_DIR: folder });
    expect((await stat(open.stdout.trim())).mode & 0o777).toBe(0o600);
    expect(open.stderr).toContain(`${folder} is open to its group or other users (mode 0755)`);
  }, 60_000);

  it('never deletes the dump it just wrote, even when another has a later stamp', async () => {
    const folder = await mkdtemp(join(dir, 'clock-'));
    // From a host whose clock ran ahead, or written before this one's clock was stepped back.
    const ahead = `${backupPrefix(source.url)}20991231T000000Z.dump`;
    await writeFile(join(folder, ahead), 'not a dump');
    const written = (await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '1' })).stdout.trim();
    expect(await readdir(folder)).toEqual([basename(written)]);
  }, 60_000);

  it('deletes the stale partial files of killed runs, and two runs writing one file at once both succeed', async () => {
    const folder = await mkdtemp(join(dir, 'partial-'));
    const prefix = backupPrefix(source.url);
    const stale = [`${prefix}20200101T030000Z.dump.4242.partial`, `${prefix}20200102T030000Z.dump.partial`];
    // A run still writing, and another database's (its own runs clean up after themselves).
    const kept = [`${prefix}20200103T030000Z.dump.4343.partial`, 'shop-other_db-20200101T030000Z.dump.4242.partial'];
    for (const name of [...stale, ...kept]) await writeFile(join(folder, name), 'half a dump');
    const long = (Date.now() - STALE_PARTIAL_MS - 60_000) / 1000;
    for (const name of [...stale, kept[1] ?? '']) await utimes(join(folder, name), long, long);
    await utimes(join(folder, kept[0] ?? ''), long + 120, long + 120);

    const written = (await backup({ BACKUP_DIR: folder })).stdout.trim();
    expect((await readdir(folder)).sort()).toEqual([basename(written), ...kept].sort());

    const out = join(folder, 'before-upgrade.dump');
    const both = await Promise.all([backup({}, ['--out', out]), backup({}, ['--out', out])]);
    expect(both.map((r) => r.stdout.trim())).toEqual([out, out]);
    expect((await readFile(out)).subarray(0, 5).toString()).toBe('PGDMP');
    expect((await readdir(folder)).filter((name) => name.startsWith('before-upgrade'))).toEqual(['before-upgrade.dump']);
  }, 60_000);

  it('leaves --out outside retention, and warns (exit 0) when deleting old backups fails after a good dump', async () => {
    const folder = await mkdtemp(join(dir, 'out-'));
    const old = [`${backupPrefix(source.url)}20200101T030000Z.dump`, `${backupPrefix(source.url)}20200102T030000Z.dump`];
    for (const name of old) await writeFile(join(folder, name), 'not a dump');
    const named = await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '1' }, ['--out', join(folder, 'named.dump')]);
    expect(named.stderr).toContain('BACKUP_KEEP not applied');
    expect((await readdir(folder)).sort()).toEqual([...old, 'named.dump'].sort());
    expect(await backup({}, ['--out', join(folder, 'x.dump'), '--keep', '1']).catch(failure)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--keep'),
    });

    // A dated name retention cannot delete (a folder).
    await rm(join(folder, old[0] ?? ''));
    await mkdir(join(folder, old[0] ?? ''));
    const pruned = await backup({ BACKUP_DIR: folder, BACKUP_KEEP: '1' });
    expect(pruned.stderr).toContain('warning: the backup was written, but deleting older ones failed');
    expect(pruned.stderr).not.toContain('backup failed');
    expect(existsSync(pruned.stdout.trim())).toBe(true);
  }, 60_000);
});
