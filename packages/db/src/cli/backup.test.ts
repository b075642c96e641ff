import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';
import { backupFileName } from './pg-tools.ts';

const run = promisify(execFile);
const cli = (script: string) => new URL(`./${script}`, import.meta.url).pathname;

let source: TestDatabase;
let dir: string;
let targetUrl: string;
const targetName = `shop_restore_${process.pid}_${Date.now()}`;

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
  await sql(inject('pgAdminUrl'), `drop database if exists "${targetName}" with (force)`);
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

  it('keeps the newest BACKUP_KEEP backups of the database and removes only its older ones', async () => {
    const keepDir = await mkdtemp(join(tmpdir(), 'shop-backup-keep-'));
    try {
      const database = new URL(source.url).pathname.slice(1);
      const old = ['20260101T000000Z', '20260102T000000Z', '20260103T000000Z'].map((stamp) => `shop-${database}-${stamp}.dump`);
      // Not this database's backups by name: another database's, a hand-named dump, other files.
      const others = ['shop-otherdb-20200101T000000Z.dump', `shop-${database}-before-upgrade.dump`, 'notes.txt'];
      for (const name of [...old, ...others]) await writeFile(join(keepDir, name), 'x');

      const env = { ...process.env, DATABASE_URL: source.url, BACKUP_DIR: keepDir, BACKUP_KEEP: '2' };
      const { stdout, stderr } = await run(process.execPath, [cli('backup.ts')], { env });
      const written = basename(stdout.trim());
      expect((await readdir(keepDir)).sort()).toEqual([old[2], written, ...others].sort());
      expect(stderr).toContain(`removed ${join(keepDir, old[1] ?? '')}`);

      // A bad value stops it before it dumps anything.
      const refused = await run(process.execPath, [cli('backup.ts')], { env: { ...env, BACKUP_KEEP: '0' } }).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(refused).toMatchObject({ code: 78, stderr: expect.stringContaining('BACKUP_KEEP') });
      expect(await readdir(keepDir)).toHaveLength(5);
    } finally {
      await rm(keepDir, { recursive: true, force: true });
    }
  });
});
