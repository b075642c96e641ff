import { createRateLimiter } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Limits } from '../context.ts';
import { MemorySession, testContext } from '../testing/index.ts';
import { loadSessionUser, login, logout, register } from './auth.service.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ kind: 'none' }),
    (e: { kind?: string; message: string }) => e,
  );

describe('register', () => {
  it('creates a shopper with an argon2id hash and signs them in', async () => {
    const session = new MemorySession();
    const user = await register(testContext(db.orm, { session }), { email: 'new@example.test', password: 'long enough pw', name: 'New' });
    expect(user).toEqual({ id: expect.any(String), email: 'new@example.test', name: 'New', role: 'shopper', mfa: false });
    expect(session.signedIn).toMatchObject({ id: user.id, sessionVersion: 1 });
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ password_hash: string }[]>('select password_hash from users where id = ?', [user.id]);
    expect(row?.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses an email that is taken, whatever its case, with CONFLICT', async () => {
    await register(testContext(db.orm), { email: 'taken@example.test', password: 'long enough pw', name: 'A' });
    // (The schema lower-cases; services receive parsed input.)
    expect(
      await failure(register(testContext(db.orm), { email: 'taken@example.test', password: 'other pw 123', name: 'B' })),
    ).toMatchObject({
      kind: 'CONFLICT',
    });
  });
});

describe('register with a weak password', () => {
  it('refuses a commonly used password with BAD_REQUEST and zxcvbn’s reason; no account is created', async () => {
    const session = new MemorySession();
    const refused = await failure(
      register(testContext(db.orm, { session }), { email: 'weak@example.test', password: 'password123', name: 'W' }),
    );
    expect(refused).toMatchObject({
      kind: 'BAD_REQUEST',
      message: 'password is too easy to guess: This is a commonly used password. Add more words that are less common.',
    });
    expect(session.signedIn).toBeFalsy();
    const [row] = await db.orm.em
      .getConnection()
      .execute<{ n: number }[]>(`select count(*)::int as n from users where email = 'weak@example.test'`);
    expect(row?.n).toBe(0);
  });

  it('refuses a password made of the account’s own name', async () => {
    const refused = await failure(
      register(testContext(db.orm), { email: 'mhamilton@example.test', password: 'hamilton1970', name: 'Margaret Hamilton' }),
    );
    expect(refused).toMatchObject({ kind: 'BAD_REQUEST', message: expect.stringMatching(/personal/) });
  });
});

describe('login', () => {
  beforeAll(async () => {
    await register(testContext(db.orm), { email: 'sam@example.test', password: 'right password', name: 'Sam' });
  });

  it('signs in with the right password', async () => {
    const session = new MemorySession();
    const user = await login(testContext(db.orm, { session }), { email: 'sam@example.test', password: 'right password' });
    expect(user.email).toBe('sam@example.test');
    expect(session.signedIn?.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await failure(login(testContext(db.orm), { email: 'sam@example.test', password: 'wrong password' }));
    const unknown = await failure(login(testContext(db.orm), { email: 'nobody@example.test', password: 'wrong password' }));
    expect(wrong).toMatchObject({ kind: 'UNAUTHORIZED', message: 'invalid email or password' });
    expect(unknown).toMatchObject({ kind: 'UNAUTHORIZED', message: 'invalid email or password' });
  });

  it('refuses further attempts on an email after repeated failures, even with the right password', async () => {
    const ctx = () => testContext(db.orm);
    const limits = ctx().limits;
    const attempt = (password: string) => failure(login({ ...ctx(), limits }, { email: 'sam@example.test', password }));
    for (let i = 0; i < 10; i++) expect(await attempt('wrong password')).toMatchObject({ kind: 'UNAUTHORIZED' });
    expect(await attempt('right password')).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
    // Another email from elsewhere is unaffected.
    await register(testContext(db.orm), { email: 'other@example.test', password: 'right password', name: 'O' });
    expect(
      await failure(login({ ...ctx(), limits, clientIp: '192.0.2.99' }, { email: 'other@example.test', password: 'right password' })),
    ).toMatchObject({
      kind: 'none',
    });
  });

  it('limits failures per client IP across emails', async () => {
    const limits = testContext(db.orm).limits;
    for (let i = 0; i < 50; i++) {
      await failure(login({ ...testContext(db.orm), limits, clientIp: '192.0.2.1' }, { email: `guess${i}@example.test`, password: 'x' }));
    }
    expect(
      await failure(
        login({ ...testContext(db.orm), limits, clientIp: '192.0.2.1' }, { email: 'sam@example.test', password: 'right password' }),
      ),
    ).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
  });

  it('lets the real user in again once the window has passed', async () => {
    // The production rule is 15 minutes; the same limiter with a one-second window shows the reset.
    const limits: Limits = {
      ...testContext(db.orm).limits,
      loginByEmail: createRateLimiter({ name: `t-email-${Date.now()}`, points: 2, windowS: 1, blockS: 1 }),
      loginByIp: createRateLimiter({ name: `t-ip-${Date.now()}`, points: 100, windowS: 1 }),
    };
    const attempt = (password: string) => failure(login({ ...testContext(db.orm), limits }, { email: 'sam@example.test', password }));
    await attempt('wrong password');
    await attempt('wrong password');
    expect(await attempt('right password')).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
    await sleep(1_100);
    expect(await attempt('right password')).toMatchObject({ kind: 'none' });
  });
});

describe('logout', () => {
  it('revokes every copy of the session by bumping the version', async () => {
    const user = await register(testContext(db.orm), { email: 'leaver@example.test', password: 'right password', name: 'L' });
    const before = await loadSessionUser(db.orm.em.getConnection(), user.id, 1);
    expect(before?.id).toBe(user.id);
    const session = new MemorySession();
    await logout(testContext(db.orm, { user: before, session }));
    expect(await loadSessionUser(db.orm.em.getConnection(), user.id, 1)).toBeNull();
    expect(await loadSessionUser(db.orm.em.getConnection(), user.id, 2)).not.toBeNull();
  });

  it('is harmless for a guest', async () => {
    expect(await logout(testContext(db.orm))).toEqual({ ok: true });
  });
});
