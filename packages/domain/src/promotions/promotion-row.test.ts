import { Promotion } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import { type CodeTermsRow, codeProblem, discountFor, type PromotionRow, priceWithCode } from './promotion-row.ts';

describe('promotion rows match their table', () => {
  it('PromotionRow: promotions', async () => {
    const problems = await rowColumnMismatches<PromotionRow>(Promotion, {
      id: 'int',
      code: 'text',
      kind: 'text',
      value: 'int',
      min_subtotal_cents: 'int',
      starts_at: 'timestamptz?',
      ends_at: 'timestamptz?',
      usage_limit: 'int?',
      used_count: 'int',
      active: 'boolean',
    });
    expect(problems).toEqual([]);
  });

  it('CodeTermsRow: promotions and the state computed from them', async () => {
    const problems = await rowColumnMismatches<CodeTermsRow>(Promotion, {
      promotion_id: { column: 'id', kind: 'int' },
      code: 'text',
      kind: 'text',
      value: 'int',
      min_subtotal_cents: 'int',
      state: 'computed',
    });
    expect(problems).toEqual([]);
  });
});

const terms = (overrides: Partial<CodeTermsRow> = {}): CodeTermsRow => ({
  promotion_id: 1,
  code: 'SAVE',
  kind: 'percent',
  value: 10,
  min_subtotal_cents: 0,
  state: 'live',
  ...overrides,
});

describe('discountFor', () => {
  it('rounds a percentage half up to the cent', () => {
    expect(discountFor(terms({ value: 10 }), 1_005)).toBe(101);
    expect(discountFor(terms({ value: 10 }), 1_004)).toBe(100);
    expect(discountFor(terms({ value: 15 }), 999)).toBe(150);
    expect(discountFor(terms({ value: 100 }), 4_321)).toBe(4_321);
  });

  it('takes a fixed amount off, never more than the subtotal', () => {
    expect(discountFor(terms({ kind: 'fixed', value: 500 }), 2_000)).toBe(500);
    expect(discountFor(terms({ kind: 'fixed', value: 500 }), 300)).toBe(300);
  });

  it('stays exact for the largest subtotal an order may have', () => {
    expect(discountFor(terms({ value: 33 }), 2_000_000_000)).toBe(660_000_000);
  });
});

describe('codeProblem and priceWithCode', () => {
  it('explain a code that gives nothing now, and price it at 0', () => {
    expect(codeProblem(terms({ min_subtotal_cents: 5_000 }), 4_999)).toEqual({ reason: 'BELOW_MINIMUM', minSubtotalCents: 5_000 });
    expect(codeProblem(terms({ min_subtotal_cents: 5_000 }), 5_000)).toBeNull();
    expect(codeProblem(terms({ state: 'used_up' }), 100)).toEqual({ reason: 'USED_UP' });
    for (const state of ['inactive', 'not_started', 'ended'] as const) {
      expect(codeProblem(terms({ state }), 100)).toEqual({ reason: 'NOT_ACTIVE' });
    }
    expect(priceWithCode(4_999, terms({ min_subtotal_cents: 5_000 }))).toEqual({
      code: 'SAVE',
      discountCents: 0,
      totalCents: 4_999,
      codeProblem: { reason: 'BELOW_MINIMUM', minSubtotalCents: 5_000 },
    });
    expect(priceWithCode(5_000, terms())).toEqual({ code: 'SAVE', discountCents: 500, totalCents: 4_500, codeProblem: null });
    expect(priceWithCode(5_000, null)).toEqual({ code: null, discountCents: 0, totalCents: 5_000, codeProblem: null });
  });
});
