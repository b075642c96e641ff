import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { adminPromotionUpsertInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthedContext, SessionUser } from '../context.ts';
import { authedContext, createPromotion, createTestUser, outcome, testMfaSettings } from '../testing/index.ts';
import { listPromotions, upsertPromotion } from './promotions.service.ts';

let db: TestDatabase;
let staffUser: SessionUser;
const em = () => db.orm.em.fork();
const staff = (): AuthedContext => authedContext(db.orm, staffUser);
const upsert = (input: Record<string, unknown>, ctx = staff()) => upsertPromotion(ctx, adminPromotionUpsertInput.parse(input));

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  staffUser = await createTestUser(em(), 'staff');
});
afterAll(() => db?.drop());

describe('admin.upsertPromotion', () => {
  it('creates a code upper-cased, active, without dates, limit or minimum unless given', async () => {
    expect(await upsert({ code: 'winter-10', kind: 'percent', value: 10 })).toEqual({
      id: expect.any(Number),
      code: 'WINTER-10',
      kind: 'percent',
      value: 10,
      minSubtotalCents: 0,
      startsAt: null,
      endsAt: null,
      usageLimit: null,
      usedCount: 0,
      active: true,
    });
    expect(
      await upsert({
        code: 'FIVEOFF',
        kind: 'fixed',
        value: 500,
        minSubtotalCents: 2_000,
        startsAt: '2026-12-01T00:00:00+01:00',
        endsAt: '2026-12-31T23:00:00Z',
        usageLimit: 100,
        active: false,
      }),
    ).toMatchObject({
      minSubtotalCents: 2_000,
      startsAt: '2026-11-30T23:00:00.000Z',
      endsAt: '2026-12-31T23:00:00.000Z',
      usageLimit: 100,
      active: false,
    });
  });

  it('changes the given fields, keeps omitted ones, and clears the ones sent as null', async () => {
    const created = await upsert({
      code: 'KEEPME',
      kind: 'percent',
      value: 20,
      minSubtotalCents: 1_000,
      endsAt: '2999-01-01T00:00:00Z',
      usageLimit: 50,
    });
    const disabled = await upsert({ id: created.id, code: 'keepme', kind: 'percent', value: 20, active: false });
    expect(disabled).toEqual({ ...created, active: false });
    const cleared = await upsert({ id: created.id, code: 'KEPT', kind: 'fixed', value: 250, endsAt: null, usageLimit: null });
    expect(cleared).toEqual({ ...created, code: 'KEPT', kind: 'fixed', value: 250, endsAt: null, usageLimit: null, active: false });
  });

  it('is CONFLICT for a code another promotion has, whatever its case', async () => {
    await upsert({ code: 'TAKEN', kind: 'percent', value: 5 });
    expect(await outcome(upsert({ code: 'taken', kind: 'fixed', value: 5 }))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    const other = await upsert({ code: 'OTHER', kind: 'percent', value: 5 });
    expect(await outcome(upsert({ id: other.id, code: 'Taken', kind: 'percent', value: 5 }))).toMatchObject({
      ok: false,
      kind: 'CONFLICT',
    });
  });

  it('is CONFLICT for a usage limit below the uses made, and keeps the promotion as it was', async () => {
    const { id, code } = await createPromotion(em(), { usageLimit: 10, usedCount: 7 });
    const result = await outcome(upsert({ id, code, kind: 'percent', value: 10, usageLimit: 6 }));
    expect(result).toMatchObject({ ok: false, kind: 'CONFLICT' });
    expect(result.ok ? '' : (result.error as Error).message).toMatch(/used more than 6 times/);
    expect((await listPromotions(staff())).find((p) => p.id === id)).toMatchObject({ usageLimit: 10, usedCount: 7 });
    expect(await upsert({ id, code, kind: 'percent', value: 10, usageLimit: 7 })).toMatchObject({ usageLimit: 7, usedCount: 7 });
  });

  it('is BAD_REQUEST for an end before the start it keeps', async () => {
    const created = await upsert({ code: 'DATED', kind: 'percent', value: 5, startsAt: '2027-01-10T00:00:00Z' });
    const result = await outcome(upsert({ id: created.id, code: 'DATED', kind: 'percent', value: 5, endsAt: '2027-01-01T00:00:00Z' }));
    expect(result).toMatchObject({ ok: false, kind: 'BAD_REQUEST' });
  });

  it('is NOT_FOUND for an unknown id', async () => {
    expect(await outcome(upsert({ id: 2_000_000_000, code: 'GHOST', kind: 'percent', value: 5 }))).toMatchObject({
      ok: false,
      kind: 'NOT_FOUND',
    });
  });
});

describe('admin.listPromotions', () => {
  it('lists every code, newest first', async () => {
    const first = await upsert({ code: 'LISTA', kind: 'percent', value: 5 });
    const second = await upsert({ code: 'LISTB', kind: 'fixed', value: 100 });
    const listed = await listPromotions(staff());
    expect(listed.slice(0, 2)).toEqual([second, first]);
  });
});

describe('promotions and non-staff', () => {
  it('refuses a shopper, and staff who must enrol a second factor first, with FORBIDDEN', async () => {
    const shopper = authedContext(db.orm, await createTestUser(em()));
    const unenrolled = authedContext(db.orm, staffUser, { mfa: testMfaSettings({ requiredForStaff: true }) });
    for (const ctx of [shopper, unenrolled]) {
      const attempts: Promise<unknown>[] = [upsert({ code: 'NOPE', kind: 'percent', value: 5 }, ctx), listPromotions(ctx)];
      for (const result of await Promise.all(attempts.map(outcome))) expect(result).toMatchObject({ ok: false, kind: 'FORBIDDEN' });
    }
    expect((await listPromotions(staff())).some((p) => p.code === 'NOPE')).toBe(false);
  });
});
