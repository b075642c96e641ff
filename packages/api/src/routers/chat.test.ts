import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, errorOf, signedIn, testDeps } from '../testing.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

describe('a support room before its first message', () => {
  it('is listed to its shopper, and staff can subscribe to it and receive that first message', async () => {
    const app = testDeps(db.orm);
    const shopper = await signedIn(db.orm, 'shopper', app);
    const staff = await signedIn(db.orm, 'staff', app);
    const roomId = `support:${shopper.user.id}`;
    expect((await shopper.api.chat.rooms()).map((r) => r.id)).toContain(roomId);

    const stream = (await staff.api.chat.onMessage({ roomId }))[Symbol.asyncIterator]();
    const first = stream.next();
    // The subscription is admitted on its first pull; give it that tick before the message.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await shopper.api.chat.send({ roomId, text: 'where is my parcel?' });
    const event = await first;
    expect(event.done).toBe(false);
    expect(JSON.stringify(event.value)).toContain('where is my parcel?');
    await stream.return?.(undefined);
  });

  it('of no user is NOT_FOUND for staff', async () => {
    const staff = await signedIn(db.orm, 'staff');
    const roomId = `support:${randomUUID()}`;
    expect((await errorOf(staff.api.chat.history({ roomId }))).code).toBe('NOT_FOUND');
    expect((await errorOf(staff.api.chat.send({ roomId, text: 'hello?' }))).code).toBe('NOT_FOUND');
  });
});

describe('chat.send without a user query of its own', () => {
  it('refuses a guest, and a session revoked elsewhere, as UNAUTHORIZED', async () => {
    const app = testDeps(db.orm);
    const shopper = await signedIn(db.orm, 'shopper', app);
    const roomId = `support:${shopper.user.id}`;
    expect((await shopper.api.chat.send({ roomId, text: 'signed in' })).text).toBe('signed in');
    // A sign-out on another device: the session version moves on, this cookie is stale.
    await db.orm.em
      .fork()
      .getConnection()
      .execute('update users set session_version = session_version + 1 where id = ?', [shopper.user.id]);
    for (const room of [roomId, 'lobby'])
      expect((await errorOf(shopper.api.chat.send({ roomId: room, text: 'revoked' }))).code).toBe('UNAUTHORIZED');
    expect((await errorOf(browserCaller(app).chat.send({ roomId: 'lobby', text: 'guest' }))).code).toBe('UNAUTHORIZED');
  });
});
