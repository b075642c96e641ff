import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createOrm, migrate, type Orm } from '../orm.ts';

export interface TestDatabase {
  url: string;
  orm: Orm;
  /** Closes the ORM and drops the database. */
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database of its own for one test file, migrated unless `migrated: false`. */
export async function createTestDatabase(adminUrl: string, options: { poolMax?: number; migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `shop_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const orm = await createOrm({ url: url.toString(), ...(options.poolMax ? { poolMax: options.poolMax } : {}) });
  if (options.migrated !== false) await migrate(orm);
  return {
    url: url.toString(),
    orm,
    async drop() {
      await orm.close(true);
      await admin(adminUrl, (c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
