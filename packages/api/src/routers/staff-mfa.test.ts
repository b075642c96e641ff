import { randomUUID } from 'node:crypto';
import { TOTP_PERIOD_S, totpCode } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { ShopError } from '@shop/domain';
import { testMfaSettings } from '@shop/domain/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { browserCaller, CookieJar, errorOf, testDeps } from '../testing.ts';
import type { ContextDeps } from '../trpc.ts';

let db: TestDatabase;
const PASSWORD = 'long enough pw';
const NEXT_STEP_MS = TOTP_PERIOD_S * 1000;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

const sql = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);
const reasonOf = (error: { cause?: unknown }) => (error.cause as ShopError | undefined)?.reason;

/** A staff account, registered over the API and promoted with SQL; returns its email. */
async function staffAccount(): Promise<string> {
  const email = `staff-${randomUUID().slice(0, 8)}@example.test`;
  const user = await browserCaller(testDeps(db.orm)).auth.register({ email, password: PASSWORD, name: 'Staff' });
  await sql(`update users set role = 'staff' where id = ?`, [user.id]);
  return email;
}

/** A browser signed in with the password only. */
async function browser(email: string, deps: ContextDeps = testDeps(db.orm)) {
  const jar = new CookieJar();
  const api = browserCaller(deps, jar);
  await api.auth.login({ email, password: PASSWORD });
  return { api, jar };
}

/** Enrols through `api`'s session; returns the TOTP seed. */
async function enrol(api: ReturnType<typeof browserCaller>): Promise<string> {
  const { secret } = await api.auth.mfa.setup();
  await api.auth.mfa.enable({ code: totpCode(secret) });
  return secret;
}

describe('admin.* for an enrolled staff account', () => {
  it('is FORBIDDEN from a session that did not pass the second factor, and allowed from one that did', async () => {
    const email = await staffAccount();
    const before = await browser(email); // signed in on another device before enrolling
    const enrolling = await browser(email);
    const secret = await enrol(enrolling.api);

    const refused = await errorOf(before.api.admin.order.list());
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/second factor required/);
    expect(reasonOf(refused)).toBe('MFA_REQUIRED');
    await expect(before.api.admin.product.adjustStock({ productId: 1, delta: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(before.api.admin.stats.onUpdate()).rejects.toMatchObject({ code: 'FORBIDDEN' });

    // The session that enrolled proved the code: it stays signed in and verified.
    expect(await enrolling.api.auth.me()).toMatchObject({ email, mfa: true });
    expect(await enrolling.api.admin.order.list()).toMatchObject({ items: expect.any(Array) });

    // Signing in again without the code is refused; with it, admin.* answers.
    const again = browserCaller(testDeps(db.orm), before.jar);
    const missing = await errorOf(again.auth.login({ email, password: PASSWORD }));
    expect(missing.code).toBe('UNAUTHORIZED');
    expect(reasonOf(missing)).toBe('MFA_REQUIRED');
    await again.auth.login({ email, password: PASSWORD, totp: totpCode(secret, Date.now() + NEXT_STEP_MS) });
    expect(await again.admin.order.list()).toMatchObject({ items: expect.any(Array) });
  });

  it('keeps shoppers out of enrolment', async () => {
    const jar = new CookieJar();
    const api = browserCaller(testDeps(db.orm), jar);
    await api.auth.register({ email: `shopper-${randomUUID().slice(0, 8)}@example.test`, password: PASSWORD, name: 'S' });
    expect((await errorOf(api.auth.mfa.setup())).code).toBe('FORBIDDEN');
  });
});

describe('with staff enrolment required', () => {
  const required = () => testDeps(db.orm, { mfa: testMfaSettings({ requiredForStaff: true }) });

  it('refuses admin.* to a staff account without a factor, lets it enrol, then lets it in', async () => {
    const email = await staffAccount();
    const { api } = await browser(email, required());
    const refused = await errorOf(api.admin.order.list());
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/enrol/);
    expect(reasonOf(refused)).toBe('MFA_ENROLMENT_REQUIRED');
    await expect(api.admin.stats.onUpdate()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await enrol(api);
    expect(await api.admin.order.list()).toMatchObject({ items: expect.any(Array) });
    const live = (await api.admin.stats.onUpdate())[Symbol.asyncIterator]();
    expect((await live.next()).value).toMatchObject({ ordersToday: 0, lowStock: [] });
    await live.return?.();
  });

  it('changes nothing for an account without a factor when not required', async () => {
    const { api } = await browser(await staffAccount());
    expect(await api.admin.order.list()).toMatchObject({ items: expect.any(Array) });
  });
});
