import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { SessionUser } from '../context.ts';
import type { SqlConnection } from '../sql.ts';
import { createTestUser } from '../testing/index.ts';
import { batchInput, type NewMessage, SEND_BATCH, storeMessage } from './send-batch.ts';

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

  it('keeps two statements in flight at most: sends meanwhile wait, then go together in the next', async () => {
    // Another transaction holds the lobby's row, so the first statements wait on it.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = db.orm.em.fork().transactional(async (em) => {
      await em.getConnection().execute(`select 1 from chat_rooms where id = 'lobby' for update`, [], 'all', em.getTransactionContext());
      locked();
      await held;
    });
    await isLocked;
    const settled: string[] = [];
    const sendNow = (text: string) =>
      storeMessage(connection, message(ann, text)).then((row) => {
        settled.push(text);
        return row;
      });
    const waiting = async (n: number) =>
      vi.waitFor(async () => {
        const [row] = await connection.execute<{ n: number }[]>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        expect(row?.n).toBe(n);
      });
    const { result: rows, statements } = await statementsDuring(async () => {
      const first = sendNow('first');
      await waiting(1);
      const second = sendNow('second');
      await waiting(2);
      const rest = ['third', 'fourth', 'fifth'].map(sendNow);
      await sleep(50);
      // Both statements wait on the lock; the three behind them wait for one to end.
      expect(settled).toEqual([]);
      await waiting(2);
      release();
      await holder;
      return Promise.all([first, second, ...rest]);
    });
    expect(statements).toBe(3);
    expect(settled.slice(2).sort()).toEqual(['fifth', 'fourth', 'third']);
    const seqs = rows.map((row) => Number(row?.seq));
    // Dense, and the three that waited numbered in the order they were sent.
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 5 }, (_, k) => Math.min(...seqs) + k));
    expect(seqs.slice(2)).toEqual([seqs[2] as number, (seqs[2] as number) + 1, (seqs[2] as number) + 2]);
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

  it('probes users, rooms and messages by index, never reads them whole, in the plan it keeps (generic) at size', async () => {
    // Enough rows that a whole-table read would show; analyzed, as autovacuum would.
    await connection.execute(
      `insert into users (email, name, role, password_hash) select 'bulk-' || g || '@example.test', 'Bulk', 'shopper', 'x' from generate_series(1, 3000) g`,
    );
    await connection.execute(
      `insert into chat_rooms (id, kind, name) values ('bulk', 'lobby', 'Bulk') on conflict do nothing;
       insert into chat_rooms (id, kind, name, owner_id) select 'support:' || id, 'support', 'Support: Bulk', id from users where email like 'bulk-%';
       insert into chat_messages (room_id, seq, author_id, text, client_id)
       select 'bulk', g, (select id from users where email = 'bulk-1@example.test'), 'x', gen_random_uuid() from generate_series(1, 20000) g;
       analyze users; analyze chat_messages; analyze chat_rooms`,
    );
    const input = batchInput([0, 1].map((k) => message(ann, `plan ${k}`, k ? 'lobby' : 'support', { clientId: randomUUID() })));
    const plan = await db.orm.em.transactional(async (em) => {
      const run = (text: string, params: unknown[] = []) => em.getConnection().execute(text, params, 'all', em.getTransactionContext());
      // PostgreSQL's default page cost, not the shop's 1.1: at 4 a join plan reads the tables whole.
      await run('set local plan_cache_mode = force_generic_plan; set local random_page_cost = 4');
      await run(`prepare plan_check(jsonb) as ${SEND_BATCH.text}`);
      const [row] = (await run('explain (analyze, format json) execute plan_check(?::jsonb)', [input])) as { 'QUERY PLAN': unknown }[];
      await run('deallocate plan_check');
      return row?.['QUERY PLAN'];
    });
    const scans: string[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const n = node as Record<string, unknown>;
        if (typeof n['Relation Name'] === 'string') scans.push(`${n['Node Type']} ${n['Relation Name']}`);
        Object.values(n).forEach(walk);
      }
    };
    walk(plan);
    expect(scans.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);
    expect(scans).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Index .*users$/), expect.stringMatching(/^Index .*chat_messages$/)]),
    );
  });
});
