import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '@shop/proc';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { backupFileName, databaseOf } from './pg-tools.ts';
import { datedBackups } from './retention.ts';

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
    `insert into orders (user_id, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
     values ($1, 2002, 'EUR', '{"line1":"1 Main St"}', gen_random_uuid(), 'fp') returning id`,
    [ada?.id],
  );
  await sql(
    url,
    `insert into order_lines (order_id, product_id, name, unit_price_cents, quantity, line_total_cents)
     values ($1, (select id from products where slug = 'hammer-1'), 'Hammer 1', 1001, 2, 2002)`,
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
  it('names backups by database and UTC time', () => {
    expect(backupFileName('postgres://u@h:5432/shop', new Date('2026-11-30T19:05:07.123Z'))).toBe('shop-shop-20261130T190507Z.dump');
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
      `insert into orders (user_id, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint, status)
       select $1, 1000 * i, 'EUR', '{"line1":"2 Side St"}', gen_random_uuid(), 'fp-' || i, 'shipped' from generate_series(1, 3) i`,
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
});
