import { describe, expect, it } from 'vitest';
import { adminPromotionUpsertInput, applyCodeInput } from './promotions.ts';

describe('applyCodeInput', () => {
  it('takes a code in any case, trimmed, and upper-cases it', () => {
    expect(applyCodeInput.parse({ code: '  spring_20-x ' })).toEqual({ code: 'SPRING_20-X' });
  });

  it.each(['', 'ab', 'A'.repeat(33), 'SAVE 10', 'SÄVE10', 'SAVE%'])('refuses %j', (code) => {
    expect(applyCodeInput.safeParse({ code }).success).toBe(false);
  });
});

describe('adminPromotionUpsertInput', () => {
  const base = { code: 'WINTER', kind: 'percent', value: 10 } as const;

  it('accepts a percentage up to 100 and any positive whole number of cents', () => {
    expect(adminPromotionUpsertInput.parse({ ...base, value: 100 }).value).toBe(100);
    expect(adminPromotionUpsertInput.parse({ ...base, kind: 'fixed', value: 25_000 }).value).toBe(25_000);
  });

  it('refuses a percentage over 100 and an end not after the start, naming the field', () => {
    const over = adminPromotionUpsertInput.safeParse({ ...base, value: 101 });
    expect(over.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['value', 'a percentage is at most 100']]);
    const at = '2027-01-01T00:00:00Z';
    const backwards = adminPromotionUpsertInput.safeParse({ ...base, startsAt: at, endsAt: '2027-01-01T01:00:00+02:00' });
    expect(backwards.error?.issues.map((i) => i.path.join('.'))).toEqual(['endsAt']);
    expect(adminPromotionUpsertInput.safeParse({ ...base, startsAt: at, endsAt: at }).success).toBe(false);
  });

  it('keeps null (clear) apart from omitted (keep)', () => {
    expect(adminPromotionUpsertInput.parse({ ...base, endsAt: null, usageLimit: null })).toEqual({
      ...base,
      endsAt: null,
      usageLimit: null,
    });
    expect(adminPromotionUpsertInput.parse(base)).toEqual(base);
  });
});
