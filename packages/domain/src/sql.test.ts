import { preparedStatement } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prepared, sql } from './sql.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 2 });
});
afterAll(() => db?.drop());

const ROOM = preparedStatement<{ id: string; last_seq: string }>(
  'test_room_insert',
  `insert into chat_rooms (id, kind, name, last_seq) values ($1, 'lobby', $2, $3) returning id, last_seq`,
);
const PREPARED_HERE = `select name from pg_prepared_statements where name = 'test_room_insert'`;

describe('prepared', () => {
  it("runs a declared statement as the server's prepared statement, inside the transaction", async () => {
    const em = db.orm.em.fork();
    await expect(
      em.transactional(async (tx) => {
        const rows = await prepared(tx, ROOM, ['test-room', 'It’s a room; with "quotes"', 7]);
        expect(rows).toEqual([{ id: 'test-room', last_seq: '7' }]);
        // Same connection as the transaction's: the statement is prepared on it, and the row seen.
        expect(await sql(tx, PREPARED_HERE)).toEqual([{ name: 'test_room_insert' }]);
        expect(await sql(tx, 'select name from chat_rooms where id = ?', ['test-room'])).toEqual([{ name: 'It’s a room; with "quotes"' }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // Rolled back with the transaction.
    expect(await sql(db.orm.em.fork(), 'select id from chat_rooms where id = ?', ['test-room'])).toEqual([]);
  });

  it('fails with the driver error, and each connection prepares it for itself', async () => {
    const em = db.orm.em.fork();
    await prepared(em, ROOM, ['twice', 'a', 1]);
    await expect(prepared(em, ROOM, ['twice', 'b', 2])).rejects.toMatchObject({ code: '23505', constraint: 'chat_rooms_pkey' });
    // Two transactions at once hold both pool connections: each runs it and has it prepared.
    const seen = await Promise.all(
      [0, 1].map((i) =>
        db.orm.em.fork().transactional(async (tx) => {
          const [row] = await prepared(tx, ROOM, [`parallel-${i}`, 'p', i]);
          const [backend] = await sql<{ pid: number }>(tx, 'select pg_backend_pid() as pid');
          return { id: row?.id, pid: backend?.pid, prepared: await sql(tx, PREPARED_HERE) };
        }),
      ),
    );
    expect(seen.map((s) => s.id)).toEqual(['parallel-0', 'parallel-1']);
    expect(new Set(seen.map((s) => s.pid)).size).toBe(2);
    for (const s of seen) expect(s.prepared).toEqual([{ name: 'test_room_insert' }]);
  });

  it('refuses one name for two statements', () => {
    expect(() => preparedStatement('test_room_insert', 'select 1')).toThrow(/declared twice/);
    // The same declaration again (a module loaded twice) is fine.
    expect(preparedStatement('test_room_insert', ROOM.text)).toEqual(ROOM);
  });
});

describe('prepared, after its statement went stale on the connection', () => {
  // One connection, so every call below meets the statement that connection prepared.
  let single: TestDatabase;
  beforeAll(async () => {
    single = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 1 });
    await sql(single.orm.em.fork(), 'create table prep_t (a int not null); insert into prep_t values (1)');
  });
  afterAll(() => single?.drop());
  const READ = preparedStatement<{ a: number | string }>('test_prep_t_read', 'select a from prep_t where a >= $1');

  it('prepares it again when a migration changed the type of a column it returns', async () => {
    const em = single.orm.em.fork();
    expect(await prepared(em, READ, [0])).toEqual([{ a: 1 }]);
    // As a rolling deploy's migration does while this instance keeps serving.
    await sql(em, 'alter table prep_t alter column a type bigint');
    await expect(prepared(em, READ, [0])).rejects.toMatchObject({ code: '0A000' });
    expect(await prepared(em, READ, [0])).toEqual([{ a: '1' }]);
    expect(await prepared(em, READ, [0])).toEqual([{ a: '1' }]);
  });

  it('prepares it again when the server no longer has it', async () => {
    const em = single.orm.em.fork();
    await prepared(em, READ, [0]);
    const [current] = await sql<{ name: string }>(em, "select name from pg_prepared_statements where name like 'test_prep_t_read%'");
    await sql(em, `deallocate ${current?.name}`);
    await expect(prepared(em, READ, [0])).rejects.toMatchObject({ code: '26000' });
    expect(await prepared(em, READ, [0])).toEqual([{ a: '1' }]);
  });
});
