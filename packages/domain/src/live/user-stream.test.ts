import { type Bus, createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionUser } from '../context.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import type { Sequenced } from './publish.ts';
import { createLiveRegistry, type LiveRegistry } from './registry.ts';
import { userLiveStream } from './user-stream.ts';

let db: TestDatabase;
let bus: Bus;
let live: LiveRegistry;
const as = (user: SessionUser) => authedContext(db.orm, user, { live });

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  bus = createMemoryBus();
  live = createLiveRegistry(bus);
});
afterAll(async () => {
  live?.stop();
  await bus?.close();
  await db?.drop();
});

/** A stream with nothing stored, rechecking its session every 30 ms. */
const open = (user: SessionUser, signal: AbortSignal) =>
  userLiveStream<string>(as(user), null, signal, {
    channel: 'quiet',
    parse: (message) => JSON.parse(message) as Sequenced<string>,
    backfill: async () => [],
    latestSeq: async () => 0,
    recheckMs: 30,
  });

describe('userLiveStream', () => {
  it('ends at the next recheck a session revoked without a message, or whose user is gone, and keeps the others', async () => {
    const em = db.orm.em.fork();
    const [ann, bob, cid] = [await createTestUser(em), await createTestUser(em), await createTestUser(em)];
    const controller = new AbortController();
    const [annStream, bobStream, cidStream] = [ann, bob, cid].map((user) => open(user, controller.signal));
    const [annEnd, bobNext, cidEnd] = [annStream, bobStream, cidStream].map((stream) => stream?.next());
    const sql = db.orm.em.getConnection();
    // As a sign-out elsewhere whose revocation message was lost: only the database knows.
    await sql.execute('update users set session_version = session_version + 1 where id = ?', [ann.id]);
    await sql.execute('delete from users where id = ?', [cid.id]);
    expect((await annEnd)?.done).toBe(true);
    expect((await cidEnd)?.done).toBe(true);
    await bus.publish('quiet', JSON.stringify({ seq: 1, item: 'still here' }));
    expect((await bobNext)?.value?.item).toBe('still here');
    controller.abort();
    await bobStream?.return(undefined);
  });
});
