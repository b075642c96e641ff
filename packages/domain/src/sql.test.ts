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

  it('fails with the driver error, and prepares again on a connection that has not seen it', async () => {
    const em = db.orm.em.fork();
    await prepared(em, ROOM, ['twice', 'a', 1]);
    await expect(prepared(em, ROOM, ['twice', 'b', 2])).rejects.toMatchObject({ code: '23505', constraint: 'chat_rooms_pkey' });
    // Both pool connections in use at once: each runs it, whether or not it prepared it before.
    const results = await Promise.all([0, 1, 2, 3].map((i) => prepared(em.fork(), ROOM, [`parallel-${i}`, 'p', i])));
    expect(results.map(([row]) => row?.id).sort()).toEqual(['parallel-0', 'parallel-1', 'parallel-2', 'parallel-3']);
  });

  it('refuses one name for two statements', () => {
    expect(() => preparedStatement('test_room_insert', 'select 1')).toThrow(/declared twice/);
    // The same declaration again (a module loaded twice) is fine.
    expect(preparedStatement('test_room_insert', ROOM.text)).toEqual(ROOM);
  });
});
