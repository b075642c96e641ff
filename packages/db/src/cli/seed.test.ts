// `pnpm db:seed` as an operator runs it, on a database of its own.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/database.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('./seed.ts', import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(async () => {
  await db?.drop();
});

const seed = (args: string[]) => run(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: db.url } });
const rows = <T>(sql: string) => db.orm.em.fork().execute<T[]>(sql);

describe('db:seed --reset', () => {
  it('replaces the catalog, the accounts and the chat, and keeps the lobby the migration made', async () => {
    await seed(['--products', '20', '--catalog-only']);
    await rows(`insert into users (email, name, password_hash) values ('ada@example.test', 'Ada', 'hash')`);
    await rows(
      `insert into chat_rooms (id, kind, name, owner_id) select 'support:' || id, 'support', 'Support', id from users where email = 'ada@example.test'`,
    );
    await rows(`insert into chat_messages (room_id, seq, author_id, text)
      select 'lobby', 1, id, 'hello' from users where email = 'ada@example.test'`);

    const refused = await seed(['--products', '5']).catch((error: { code: number; stderr: string }) => error);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('--reset') });

    await seed(['--products', '5', '--reset', '--catalog-only']);
    expect(await rows('select id, kind, name from chat_rooms')).toEqual([{ id: 'lobby', kind: 'lobby', name: 'Lobby' }]);
    expect(await rows('select count(*)::int as n from chat_messages')).toEqual([{ n: 0 }]);
    expect(await rows('select count(*)::int as n from users')).toEqual([{ n: 0 }]);
    expect(await rows('select count(*)::int as n from products')).toEqual([{ n: 5 }]);
  }, 60_000);
});
