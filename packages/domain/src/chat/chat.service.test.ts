import { randomUUID } from 'node:crypto';
import { type Bus, createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { type ChatMessage, chatHistoryInput, chatSendInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { logout } from '../auth/auth.service.ts';
import type { ClaimedContext, SessionUser } from '../context.ts';
import { createLimits } from '../limits.ts';
import { createLiveRegistry, type LiveRegistry } from '../live/registry.ts';
import { authedContext, claimedContext, createTestUser } from '../testing/index.ts';
import { history, listRooms, send, stream } from './chat.service.ts';

let db: TestDatabase;
let bus: Bus;
let live: LiveRegistry;
let alice: SessionUser;
let bob: SessionUser;
let staff: SessionUser;

const as = (user: SessionUser) => authedContext(db.orm, user, { live });
/** A sender as chat.send's procedure passes it (the session's claim; the user read on demand). */
const sender = (user: SessionUser) => claimedContext(db.orm, user, { live });
const say = (user: SessionUser, text: string, roomId = 'lobby', clientId?: string) =>
  send(sender(user), chatSendInput.parse({ roomId, text, ...(clientId ? { clientId } : {}) }));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ kind: 'none' }),
    (e: { kind?: string }) => e,
  );

/** Collects `count` events of a stream, then stops it. */
async function take(iterable: AsyncGenerator<{ seq: number; item: ChatMessage }>, count: number, controller: AbortController) {
  const got: ChatMessage[] = [];
  for await (const { item } of iterable) {
    got.push(item);
    if (got.length === count) break;
  }
  controller.abort();
  return got;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'), { poolMax: 20 });
  bus = createMemoryBus();
  live = createLiveRegistry(bus);
  const em = db.orm.em.fork();
  alice = await createTestUser(em, 'shopper', 'Alice');
  bob = await createTestUser(em, 'shopper', 'Bob');
  staff = await createTestUser(em, 'staff', 'Stella');
});
afterAll(async () => {
  live?.stop();
  await bus?.close();
  await db?.drop();
});

describe('rooms', () => {
  it('gives a shopper the lobby and their own support room', async () => {
    const rooms = await listRooms(as(alice));
    expect(rooms.map((r) => [r.id, r.kind])).toEqual([
      ['lobby', 'lobby'],
      [`support:${alice.id}`, 'support'],
    ]);
  });

  it('changes nothing when listing, and gives staff every support room in use', async () => {
    const [carol, dave] = [
      await createTestUser(db.orm.em.fork(), 'shopper', 'Carol'),
      await createTestUser(db.orm.em.fork(), 'shopper', 'Dave'),
    ];
    await listRooms(as(carol));
    expect((await listRooms(as(staff))).map((r) => r.id)).not.toContain(`support:${carol.id}`);
    await say(carol, 'hello support', `support:${carol.id}`);
    await say(dave, 'hello support', `support:${dave.id}`);
    const ids = (await listRooms(as(staff))).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['lobby', `support:${carol.id}`, `support:${dave.id}`]));
  });

  it("hides another shopper's support room and unknown rooms as NOT_FOUND", async () => {
    const input = (roomId: string) => chatHistoryInput.parse({ roomId });
    expect(await failure(history(as(bob), input(`support:${alice.id}`)))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await failure(say(bob, 'hi', `support:${alice.id}`))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await failure(history(as(staff), input(`support:${randomUUID()}`)))).toMatchObject({ kind: 'NOT_FOUND' });
  });

  it("opens an existing shopper's support room to staff before its first message", async () => {
    const erin = await createTestUser(db.orm.em.fork(), 'shopper', 'Erin');
    const roomId = `support:${erin.id}`;
    // The shopper already sees the room; staff get the same room, not NOT_FOUND.
    expect((await listRooms(as(erin))).map((r) => r.id)).toContain(roomId);
    expect(await history(as(staff), chatHistoryInput.parse({ roomId }))).toEqual({ items: [], nextCursor: null });
    const controller = new AbortController();
    const events = take(stream(as(staff), { roomId }, controller.signal), 2, controller);
    await sleep(50);
    const first = await say(erin, 'is anyone there?', roomId);
    const answer = await say(staff, 'yes, here', roomId);
    expect(await events).toEqual([first, answer]);
    expect(first.id).toBe(1);
  });

  it("lets staff write first in an existing shopper's support room, which then exists for both", async () => {
    const fay = await createTestUser(db.orm.em.fork(), 'shopper', 'Fay');
    const roomId = `support:${fay.id}`;
    const hello = await say(staff, 'your order is delayed', roomId);
    expect(hello.id).toBe(1);
    expect((await listRooms(as(staff))).find((r) => r.id === roomId)).toEqual({ id: roomId, name: 'Support: Fay', kind: 'support' });
    expect((await history(as(fay), chatHistoryInput.parse({ roomId }))).items).toEqual([hello]);
  });

  it('keeps the support room of no user NOT_FOUND for staff, in history, send and the stream', async () => {
    const roomId = `support:${randomUUID()}`;
    expect(await failure(history(as(staff), chatHistoryInput.parse({ roomId })))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await failure(say(staff, 'hello?', roomId))).toMatchObject({ kind: 'NOT_FOUND' });
    expect(await failure(stream(as(staff), { roomId }, undefined).next())).toMatchObject({ kind: 'NOT_FOUND' });
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ n: number }[]>('select count(*)::int as n from chat_rooms where id = ?', [roomId]);
    expect(row?.n).toBe(0);
  });

  it('lets the shopper and staff talk in the support room', async () => {
    await say(alice, 'my parcel is late', `support:${alice.id}`);
    await say(staff, 'looking into it', `support:${alice.id}`);
    const page = await history(as(alice), chatHistoryInput.parse({ roomId: `support:${alice.id}` }));
    expect(page.items.map((m) => [m.author.role, m.text])).toEqual([
      ['staff', 'looking into it'],
      ['shopper', 'my parcel is late'],
    ]);
  });
});

describe('send and history', () => {
  it('stores trimmed text and pages newest first without gaps', async () => {
    const roomId = `support:${bob.id}`;
    for (let i = 1; i <= 7; i++) await say(i % 2 ? bob : staff, `  message ${i}  `, roomId);
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await history(as(bob), chatHistoryInput.parse({ roomId, limit: 3, ...(before ? { before } : {}) }));
      seen.push(...page.items.map((m) => m.text));
      if (!page.nextCursor) break;
      before = Number(page.nextCursor);
    }
    expect(seen).toEqual(['message 7', 'message 6', 'message 5', 'message 4', 'message 3', 'message 2', 'message 1']);
  });

  it('stores a retried send with the same clientId once', async () => {
    const clientId = randomUUID();
    const [a, b] = await Promise.all([say(alice, 'only once', 'lobby', clientId), say(alice, 'only once', 'lobby', clientId)]);
    expect(a.id).toBe(b.id);
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ n: number }[]>('select count(*)::int as n from chat_messages where client_id = ?', [clientId]);
    expect(row?.n).toBe(1);
    // The losing retry took no number: the next message is the very next one (dense numbers).
    const next = await say(alice, 'after the retry', 'lobby');
    expect(next.id).toBe(a.id + 1);
  });

  it('returns the clientId with the message from send, retry, history and the stream', async () => {
    const roomId = `support:${staff.id}`;
    const clientId = randomUUID();
    const controller = new AbortController();
    const events = take(stream(as(staff), { roomId }, controller.signal), 2, controller);
    await sleep(50);
    const sent = await say(staff, 'tagged', roomId, clientId);
    const untagged = await say(staff, 'untagged', roomId);
    expect(sent.clientId).toBe(clientId);
    expect(untagged.clientId).toBeNull();
    expect(await say(staff, 'tagged', roomId, clientId)).toEqual(sent);
    const page = await history(as(staff), chatHistoryInput.parse({ roomId }));
    expect(page.items).toEqual([untagged, sent]);
    expect(await events).toEqual([sent, untagged]);
  });

  it('numbers concurrent messages densely, in the order they commit', async () => {
    const users = [alice, bob, staff];
    const sent = await Promise.all(Array.from({ length: 24 }, (_, i) => say(users[i % 3] as SessionUser, `race ${i}`)));
    const ids = sent.map((m) => m.id).sort((x, y) => x - y);
    const first = ids[0] ?? 0;
    expect(ids).toEqual(Array.from({ length: 24 }, (_, i) => first + i));
  });

  it('creates a support room with its first messages, numbered 1, 2, … even when they race', async () => {
    const carol = await createTestUser(db.orm.em.fork(), 'shopper', 'Carol');
    const room = `support:${carol.id}`;
    const sent = await Promise.all(Array.from({ length: 6 }, (_, i) => say(carol, `first ${i}`, room)));
    expect(sent.map((m) => m.id).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ name: string; owner_id: string; last_seq: string }[]>('select name, owner_id, last_seq from chat_rooms where id = ?', [
        room,
      ]);
    expect(row).toEqual({ name: 'Support: Carol', owner_id: carol.id, last_seq: '6' });
    expect((await say(staff, 'hello Carol', room)).id).toBe(7);
  });

  it('refuses a flood with TOO_MANY_REQUESTS', async () => {
    const flooder = await createTestUser(db.orm.em.fork(), 'shopper', 'Flood');
    // One set of limits, as one server process has (each test context makes its own).
    const limits = createLimits();
    const ctx: ClaimedContext = { ...sender(flooder), limits };
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await failure(send(ctx, chatSendInput.parse({ roomId: 'lobby', text: `spam ${i}` }))));
    expect(results.slice(0, 10).every((r) => r.kind === 'none')).toBe(true);
    expect(results[10]).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
  });

  it('stores nothing for a signed-out session (its statement checks it), in the lobby, a support room, or a retry', async () => {
    const gone = await createTestUser(db.orm.em.fork(), 'shopper', 'Gone');
    const own = `support:${gone.id}`;
    const clientId = randomUUID();
    const kept = await say(gone, 'before', own, clientId);
    await logout(as(gone));
    for (const [roomId, retry] of [
      ['lobby', undefined],
      [own, undefined],
      [own, clientId],
      [`support:${alice.id}`, undefined],
    ] as const) {
      expect(await failure(say(gone, 'after', roomId, retry))).toMatchObject({ kind: 'UNAUTHORIZED' });
    }
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ n: number }[]>('select count(*)::int as n from chat_messages where author_id = ?', [gone.id]);
    expect(row?.n).toBe(1);
    expect((await history(as(alice), chatHistoryInput.parse({ roomId: 'lobby' }))).items.map((m) => m.text)).not.toContain('after');
    expect(kept.id).toBe(1);
  });
});

describe('stream', () => {
  it('resumes after lastEventId with every later message, then live ones, exactly once', async () => {
    const roomId = `support:${alice.id}`;
    const before = await say(alice, 'before', roomId);
    const missed = [await say(staff, 'missed 1', roomId), await say(staff, 'missed 2', roomId)];
    const controller = new AbortController();
    const events = take(stream(as(alice), { roomId, lastEventId: before.id }, controller.signal), 4, controller);
    await sleep(50);
    const live = [await say(staff, 'live 1', roomId), await say(alice, 'live 2', roomId)];
    const got = await events;
    expect(got.map((m) => m.id)).toEqual([...missed, ...live].map((m) => m.id));
  });

  it('fills in from the database when a publish is lost', async () => {
    // A bus that drops every other publish, as a Redis outage would.
    let n = 0;
    const lossy: Bus = { ...bus, publish: (channel, message) => (n++ % 2 ? Promise.resolve() : bus.publish(channel, message)) };
    const lossyLive = createLiveRegistry(lossy);
    const controller = new AbortController();
    const events = take(stream(authedContext(db.orm, bob, { live: lossyLive }), { roomId: 'lobby' }, controller.signal), 5, controller);
    await sleep(50);
    const sent = [];
    for (let i = 0; i < 6; i++)
      sent.push(
        await send(
          claimedContext(db.orm, i % 2 ? alice : staff, { live: lossyLive }),
          chatSendInput.parse({ roomId: 'lobby', text: `lossy ${i}` }),
        ),
      );
    expect((await events).map((m) => m.id)).toEqual(sent.slice(0, 5).map((m) => m.id));
  });

  it('ends when the user signs out', async () => {
    const leaver = await createTestUser(db.orm.em.fork(), 'shopper', 'Leaver');
    const iterator = stream(as(leaver), { roomId: 'lobby' }, undefined);
    const next = iterator.next();
    await sleep(50);
    await logout(as(leaver));
    expect(await next).toEqual({ done: true, value: undefined });
  });

  it('refuses a room the user may not see', async () => {
    const iterator = stream(as(bob), { roomId: `support:${alice.id}` }, undefined);
    expect(await failure(iterator.next())).toMatchObject({ kind: 'NOT_FOUND' });
  });
});
