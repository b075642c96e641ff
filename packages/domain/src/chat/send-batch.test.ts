import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { SessionUser } from '../context.ts';
import type { SqlConnection } from '../sql.ts';
import { createTestUser } from '../testing/index.ts';
import { type NewMessage, storeMessage } from './send-batch.ts';

let db: TestDatabase;
let connection: SqlConnection;
let ann: SessionUser;
let ben: SessionUser;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  connection = db.orm.em.getConnection();
  ann = await createTestUser(db.orm.em.fork(), 'shopper', 'Ann');
  ben = await createTestUser(db.orm.em.fork(), 'shopper', 'Ben');
});
afterAll(async () => {
  await db?.drop();
});

const message = (
  user: SessionUser,
  text: string,
  room: 'lobby' | 'support' = 'lobby',
  overrides: Partial<NewMessage> = {},
): NewMessage => ({
  authorId: user.id,
  sessionVersion: user.sessionVersion,
  clientId: null,
  text,
  roomId: room === 'lobby' ? 'lobby' : `support:${user.id}`,
  ownerId: room === 'lobby' ? null : user.id,
  ...overrides,
});

/** Counts the batch statements sent while `run` runs. */
async function statementsDuring<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const client = connection.getClient();
  const spy = vi.spyOn(client, 'executeQuery');
  try {
    const result = await run();
    const statements = spy.mock.calls.filter(([query]) => 'sql' in query && query.sql.includes('jsonb_to_recordset')).length;
    return { result, statements };
  } finally {
    spy.mockRestore();
  }
}

describe('storeMessage', () => {
  it('stores the messages sent at once in one statement, each answered with its own row, numbered densely per room', async () => {
    const sent = Array.from({ length: 30 }, (_, i) => message(i % 2 ? ann : ben, `at once ${i}`, i % 3 ? 'lobby' : 'support'));
    const { result: rows, statements } = await statementsDuring(() => Promise.all(sent.map((m) => storeMessage(connection, m))));
    expect(statements).toBe(1);
    rows.forEach((row, i) => {
      expect(row).toMatchObject({ text: sent[i]?.text, author_id: sent[i]?.authorId, room_id: sent[i]?.roomId });
    });
    for (const roomId of new Set(sent.map((m) => m.roomId))) {
      const seqs = rows
        .filter((row) => row?.room_id === roomId)
        .map((row) => Number(row?.seq))
        .sort((a, b) => a - b);
      const [stored] = await connection.execute<{ last_seq: string }[]>('select last_seq from chat_rooms where id = ?', [roomId]);
      // The room's newest numbers, one per message, in the order they were sent.
      const last = Number(stored?.last_seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => last - seqs.length + 1 + k));
      const inOrder = rows.filter((row) => row?.room_id === roomId).map((row) => Number(row?.seq));
      expect(inOrder).toEqual(seqs);
    }
  });

  it('stores nothing for a revoked session or a client id already used, in the batch or before, and the rest', async () => {
    const clientId = randomUUID();
    const [first] = await Promise.all([storeMessage(connection, message(ann, 'tagged', 'lobby', { clientId }))]);
    const again = randomUUID();
    const { result, statements } = await statementsDuring(() =>
      Promise.all([
        storeMessage(connection, message(ann, 'tagged', 'lobby', { clientId })),
        storeMessage(connection, message(ben, 'revoked', 'lobby', { sessionVersion: ben.sessionVersion + 1 })),
        storeMessage(connection, message(ben, 'twice', 'support', { clientId: again })),
        storeMessage(connection, message(ben, 'twice', 'support', { clientId: again })),
        storeMessage(connection, message(ann, 'kept', 'lobby')),
      ]),
    );
    expect(statements).toBe(1);
    expect(first?.text).toBe('tagged');
    expect(result.map((row) => row?.text)).toEqual([undefined, undefined, 'twice', undefined, 'kept']);
    const [count] = await connection.execute<{ n: number }[]>(
      'select count(*)::int as n from chat_messages where (author_id = ? and client_id = ?) or (author_id = ? and client_id = ?)',
      [ann.id, clientId, ben.id, again],
    );
    expect(count?.n).toBe(2);
  });

  it('isolates a message PostgreSQL refuses: the others of its batch are stored, one by one', async () => {
    // chat.send's schema refuses NUL; past it, PostgreSQL does (jsonb has no U+0000) and the batch fails whole.
    const { result, statements } = await statementsDuring(() =>
      Promise.allSettled([
        storeMessage(connection, message(ann, 'before the bad one')),
        storeMessage(connection, message(ben, 'bad \u0000 text')),
        storeMessage(connection, message(ann, 'after the bad one', 'support')),
      ]),
    );
    // The batch, then each of its three alone.
    expect(statements).toBe(4);
    expect(result.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(result[1]).toMatchObject({ reason: { code: expect.stringMatching(/^22/) } });
    expect(result.map((r) => (r.status === 'fulfilled' ? r.value?.text : null))).toEqual(['before the bad one', null, 'after the bad one']);
  });

  it('stores nothing in a room that does not exist, nor in a support room of no user', async () => {
    const nobody = randomUUID();
    const rows = await Promise.all([
      storeMessage(connection, message(ann, 'nowhere', 'lobby', { roomId: 'attic' })),
      storeMessage(connection, message(ann, 'no owner', 'lobby', { roomId: `support:${nobody}`, ownerId: nobody })),
      storeMessage(connection, message(ann, 'here')),
    ]);
    expect(rows.map((row) => row?.text)).toEqual([undefined, undefined, 'here']);
    const [rooms] = await connection.execute<{ n: number }[]>('select count(*)::int as n from chat_rooms where id in (?, ?)', [
      'attic',
      `support:${nobody}`,
    ]);
    expect(rooms?.n).toBe(0);
  });
});
