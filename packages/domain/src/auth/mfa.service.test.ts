import { randomUUID } from 'node:crypto';
import { TOTP_PERIOD_S, totpCode } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { history, listRooms, send } from '../chat/chat.service.ts';
import type { SessionUser } from '../context.ts';
import { authedContext, claimedContext, createTestUser, MemorySession, testContext, testMfaSettings } from '../testing/index.ts';
import { loadSessionUser, login, register } from './auth.service.ts';
import { disableMfa, enableMfa, requireStaffFactor, setupMfa } from './mfa.service.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

const PASSWORD = 'staff password 1';
const STEP_MS = TOTP_PERIOD_S * 1000;

const failure = (promise: Promise<unknown>) =>
  promise.then(
    (): { kind: string; reason?: string } => ({ kind: 'none' }),
    (e: { kind?: string; message: string; reason?: string }) => e,
  );

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

async function sessionUser(id: string): Promise<SessionUser> {
  const user = await loadSessionUser(db.orm.em.getConnection(), id, 1);
  if (!user) throw new Error('user not found');
  return user;
}

/** A staff account with a password, not enrolled. */
async function staffAccount(): Promise<SessionUser> {
  const email = `staff-${randomUUID().slice(0, 8)}@example.test`;
  const { id } = await register(testContext(db.orm), { email, password: PASSWORD, name: 'Staff' });
  await sql(`update users set role = 'staff' where id = ?`, [id]);
  return sessionUser(id);
}

/** A staff account that went through setup and enable; returns its TOTP seed and recovery codes. */
async function enrolledStaff() {
  const user = await staffAccount();
  const { secret } = await setupMfa(authedContext(db.orm, user));
  const { recoveryCodes } = await enableMfa(authedContext(db.orm, user), { code: totpCode(secret) });
  return { user: await sessionUser(user.id), secret, recoveryCodes };
}

describe('enrolment', () => {
  it('sets up a pending TOTP seed, stored sealed, that counts only once a code confirms it', async () => {
    const user = await staffAccount();
    const setup = await setupMfa(authedContext(db.orm, user));
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.otpauthUri).toMatch(/^otpauth:\/\/totp\/.+\?/);
    expect(new URL(setup.otpauthUri).searchParams.get('secret')).toBe(setup.secret);
    const [row] = await sql<{ totp_pending_secret: string | null; totp_secret: string | null }>(
      'select totp_pending_secret, totp_secret from users where id = ?',
      [user.id],
    );
    expect(row?.totp_pending_secret).toBeTruthy();
    expect(row?.totp_pending_secret).not.toContain(setup.secret);
    expect(row?.totp_secret).toBeNull();
    expect((await sessionUser(user.id)).mfa).toBe(false);
  });

  it('refuses a wrong code at enable and enables with a right one: ten hashed recovery codes, this session verified', async () => {
    const user = await staffAccount();
    const { secret } = await setupMfa(authedContext(db.orm, user));
    const wrong = String((Number(totpCode(secret)) + 1) % 1_000_000).padStart(6, '0');
    expect(await failure(enableMfa(authedContext(db.orm, user), { code: wrong }))).toMatchObject({ kind: 'BAD_REQUEST' });

    const session = new MemorySession();
    const { recoveryCodes } = await enableMfa(authedContext(db.orm, user, { session }), { code: totpCode(secret) });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(session.mfaVerified).toBe(true);
    expect((await sessionUser(user.id)).mfa).toBe(true);
    const stored = await sql<{ code_hash: string }>('select code_hash from recovery_codes where user_id = ?', [user.id]);
    expect(stored).toHaveLength(10);
    for (const { code_hash } of stored) expect(recoveryCodes).not.toContain(code_hash);
  });

  it('refuses setup and enable once enrolled, so a password alone cannot swap the factor', async () => {
    const { user, secret } = await enrolledStaff();
    expect(await failure(setupMfa(authedContext(db.orm, user)))).toMatchObject({ kind: 'CONFLICT' });
    expect(await failure(enableMfa(authedContext(db.orm, user), { code: totpCode(secret) }))).toMatchObject({ kind: 'CONFLICT' });
  });
});

describe('sign-in with a second factor', () => {
  it('answers MFA_REQUIRED to an enrolled account without a code, and no reason to a wrong password', async () => {
    const { user } = await enrolledStaff();
    const missing = await failure(login(testContext(db.orm), { email: user.email, password: PASSWORD }));
    expect(missing).toMatchObject({ kind: 'UNAUTHORIZED', reason: 'MFA_REQUIRED' });
    const wrongPassword = await failure(login(testContext(db.orm), { email: user.email, password: 'wrong password', totp: '123456' }));
    expect(wrongPassword).toMatchObject({ kind: 'UNAUTHORIZED', message: 'invalid email or password' });
    expect(wrongPassword.reason).toBeUndefined();
  });

  it('signs in with a valid code (one step of drift allowed) and marks the session verified', async () => {
    const { user, secret } = await enrolledStaff();
    const session = new MemorySession();
    // The code of the next time step: the one used at enable is spent.
    const signedIn = await login(testContext(db.orm, { session }), {
      email: user.email,
      password: PASSWORD,
      totp: totpCode(secret, Date.now() + STEP_MS),
    });
    expect(signedIn).toMatchObject({ id: user.id, mfa: true });
    expect(session.mfaVerified).toBe(true);
  });

  it('refuses a code two steps away', async () => {
    const { user, secret } = await enrolledStaff();
    const late = await failure(
      login(testContext(db.orm), { email: user.email, password: PASSWORD, totp: totpCode(secret, Date.now() + 2 * STEP_MS) }),
    );
    expect(late).toMatchObject({ kind: 'UNAUTHORIZED', reason: 'MFA_REQUIRED' });
  });

  it('refuses a code replayed within its window, and older codes after it', async () => {
    const { user, secret } = await enrolledStaff();
    const code = totpCode(secret, Date.now() + STEP_MS);
    const attempt = (totp: string) => failure(login(testContext(db.orm), { email: user.email, password: PASSWORD, totp }));
    expect(await attempt(code)).toMatchObject({ kind: 'none' });
    expect(await attempt(code)).toMatchObject({ kind: 'UNAUTHORIZED', reason: 'MFA_REQUIRED' });
    expect(await attempt(totpCode(secret))).toMatchObject({ kind: 'UNAUTHORIZED', reason: 'MFA_REQUIRED' });
  });

  it('accepts one of two concurrent sign-ins with the same code', async () => {
    const { user, secret } = await enrolledStaff();
    const code = totpCode(secret, Date.now() + STEP_MS);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => failure(login(testContext(db.orm), { email: user.email, password: PASSWORD, totp: code }))),
    );
    expect(results.filter((r) => r.kind === 'none')).toHaveLength(1);
  });

  it('accepts each recovery code once', async () => {
    const { user, recoveryCodes } = await enrolledStaff();
    const [first = '', second = ''] = recoveryCodes;
    const attempt = (recoveryCode: string) => failure(login(testContext(db.orm), { email: user.email, password: PASSWORD, recoveryCode }));
    // Case and dashes do not matter.
    expect(await attempt(first.toUpperCase().replaceAll('-', ' '))).toMatchObject({ kind: 'none' });
    expect(await attempt(first)).toMatchObject({ kind: 'UNAUTHORIZED', reason: 'MFA_REQUIRED' });
    expect(await attempt(second)).toMatchObject({ kind: 'none' });
    expect(await sql('select 1 from recovery_codes where user_id = ?', [user.id])).toHaveLength(8);
  });

  it('counts a missing or wrong second factor toward the sign-in limit, even with the right password', async () => {
    const { user, secret } = await enrolledStaff();
    const limits = testContext(db.orm).limits;
    const attempt = (input: { totp?: string }) =>
      failure(login({ ...testContext(db.orm), limits }, { email: user.email, password: PASSWORD, ...input }));
    for (let i = 0; i < 10; i++) expect(await attempt(i % 2 ? {} : { totp: '000000' })).toMatchObject({ reason: 'MFA_REQUIRED' });
    expect(await attempt({ totp: totpCode(secret, Date.now() + STEP_MS) })).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
  });

  it('needs no code for an account without a factor', async () => {
    const user = await staffAccount();
    const session = new MemorySession();
    expect(await login(testContext(db.orm, { session }), { email: user.email, password: PASSWORD })).toMatchObject({ mfa: false });
    expect(session.mfaVerified).toBe(false);
  });
});

describe('disable', () => {
  it('requires a valid current code, counts wrong ones, and then sign-in needs no code', async () => {
    const { user, secret } = await enrolledStaff();
    const limits = testContext(db.orm).limits;
    expect(await failure(disableMfa({ ...authedContext(db.orm, user), limits }, { code: '000000' }))).toMatchObject({
      kind: 'BAD_REQUEST',
    });
    expect(await limits.loginByEmail.isBlocked(user.email)).toMatchObject({ blocked: false });
    expect(await disableMfa({ ...authedContext(db.orm, user), limits }, { code: totpCode(secret, Date.now() + STEP_MS) })).toEqual({
      ok: true,
    });
    expect((await sessionUser(user.id)).mfa).toBe(false);
    expect(await sql('select 1 from recovery_codes where user_id = ?', [user.id])).toHaveLength(0);
    expect(await login(testContext(db.orm), { email: user.email, password: PASSWORD })).toMatchObject({ mfa: false });
  });

  it('takes a recovery code instead', async () => {
    const { user, recoveryCodes } = await enrolledStaff();
    expect(await disableMfa(authedContext(db.orm, user), { code: recoveryCodes[3] ?? '' })).toEqual({ ok: true });
  });

  it('is refused after ten wrong codes, even with the right one', async () => {
    const { user, secret } = await enrolledStaff();
    const limits = testContext(db.orm).limits;
    const attempt = (code: string) => failure(disableMfa({ ...authedContext(db.orm, user), limits }, { code }));
    for (let i = 0; i < 10; i++) expect(await attempt(String(100_000 + i))).toMatchObject({ kind: 'BAD_REQUEST' });
    expect(await attempt(totpCode(secret, Date.now() + STEP_MS))).toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
  });

  it('counts every code before checking it: 30 wrong codes at once get at most 10 answers, the rest TOO_MANY_REQUESTS', async () => {
    const { user } = await enrolledStaff();
    const limits = testContext(db.orm).limits;
    const kinds = (
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          failure(disableMfa({ ...authedContext(db.orm, user), limits }, { code: String(200_000 + i) })),
        ),
      )
    ).map((f) => f.kind);
    expect(kinds.filter((k) => k === 'BAD_REQUEST').length).toBeLessThanOrEqual(10);
    expect(kinds.filter((k) => k === 'TOO_MANY_REQUESTS').length).toBeGreaterThanOrEqual(20);
    expect((await sessionUser(user.id)).mfa).toBe(true);
  });
});

describe('the staff gate', () => {
  const gate = (ctx: Parameters<typeof requireStaffFactor>[0]) => failure(Promise.resolve().then(() => requireStaffFactor(ctx)));

  it('refuses an enrolled account whose session did not pass the factor, and lets a verified one in', async () => {
    const { user } = await enrolledStaff();
    expect(await gate(authedContext(db.orm, user))).toMatchObject({ kind: 'FORBIDDEN', reason: 'MFA_REQUIRED' });
    const session = new MemorySession();
    await session.signIn(user, { mfa: true });
    expect(await gate(authedContext(db.orm, user, { session }))).toMatchObject({ kind: 'none' });
  });

  it("keeps staff powers in chat from a session that did not pass the factor: no shopper's support room", async () => {
    const { user } = await enrolledStaff();
    const shopper = await createTestUser(db.orm.em.fork());
    const roomId = `support:${shopper.id}`;
    await send(claimedContext(db.orm, shopper), { roomId, text: 'my order is late' });
    const unverified = authedContext(db.orm, user);
    expect(await failure(send(claimedContext(db.orm, user), { roomId, text: 'staff here' }))).toMatchObject({ kind: 'NOT_FOUND' });
    expect((await listRooms(unverified)).map((r) => r.id)).toEqual(['lobby', `support:${user.id}`]);
    expect(await failure(history(unverified, { roomId, limit: 50 }))).toMatchObject({ kind: 'NOT_FOUND' });
    const session = new MemorySession();
    await session.signIn(user, { mfa: true });
    const verified = authedContext(db.orm, user, { session });
    expect((await listRooms(verified)).map((r) => r.id)).toContain(roomId);
    expect((await history(verified, { roomId, limit: 50 })).items.map((m) => m.text)).toEqual(['my order is late']);
    await send(claimedContext(db.orm, user, { session }), { roomId, text: 'staff here' });
  });

  it('refuses an account without a factor only when enrolment is required', async () => {
    const user = await staffAccount();
    expect(await gate(authedContext(db.orm, user))).toMatchObject({ kind: 'none' });
    const required = authedContext(db.orm, user, { mfa: testMfaSettings({ requiredForStaff: true }) });
    expect(await gate(required)).toMatchObject({ kind: 'FORBIDDEN', reason: 'MFA_ENROLMENT_REQUIRED' });
  });
});
