import { z } from 'zod';

export const PROMOTION_KINDS = ['percent', 'fixed'] as const;
export type PromotionKind = (typeof PROMOTION_KINDS)[number];

/** Largest fixed discount, usage limit and minimum subtotal: within the int4 columns that hold them. */
export const MAX_PROMOTION_CENTS = 2_000_000_000;
export const MAX_USAGE_LIMIT = 1_000_000_000;

/**
 * A code as shoppers type it: case does not matter (it is stored and compared upper-cased), and
 * surrounding spaces are dropped.
 */
export const promotionCodeSchema = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, hyphens and underscores only')
  .toUpperCase();

export const applyCodeInput = z.strictObject({ code: promotionCodeSchema });
export type ApplyCodeInput = z.infer<typeof applyCodeInput>;

const instant = z.iso.datetime({ offset: true, message: 'an ISO-8601 date and time, such as 2026-12-01T00:00:00Z' });

/**
 * Creates a code (without `id`) or changes one. On a change, an omitted optional field keeps its
 * current value and `null` clears it; a new code starts active, without dates, limit or minimum.
 */
export const adminPromotionUpsertInput = z
  .strictObject({
    id: z.number().int().positive().max(2_147_483_647).optional(),
    code: promotionCodeSchema,
    kind: z.enum(PROMOTION_KINDS),
    /** percent: 1–100; fixed: integer cents. */
    value: z.number().int().min(1).max(MAX_PROMOTION_CENTS),
    minSubtotalCents: z.number().int().min(0).max(MAX_PROMOTION_CENTS).optional(),
    startsAt: instant.nullable().optional(),
    endsAt: instant.nullable().optional(),
    usageLimit: z.number().int().min(1).max(MAX_USAGE_LIMIT).nullable().optional(),
    active: z.boolean().optional(),
  })
  .check((ctx) => {
    const { kind, value, startsAt, endsAt } = ctx.value;
    if (kind === 'percent' && value > 100) {
      ctx.issues.push({ code: 'custom', message: 'a percentage is at most 100', path: ['value'], input: value });
    }
    if (startsAt && endsAt && Date.parse(endsAt) <= Date.parse(startsAt)) {
      ctx.issues.push({ code: 'custom', message: 'the end must come after the start', path: ['endsAt'], input: endsAt });
    }
  });
export type AdminPromotionUpsertInput = z.infer<typeof adminPromotionUpsertInput>;

export interface Promotion {
  id: number;
  code: string;
  kind: PromotionKind;
  value: number;
  minSubtotalCents: number;
  /** ISO-8601, UTC; null: no start or no end. */
  startsAt: string | null;
  endsAt: string | null;
  usageLimit: number | null;
  usedCount: number;
  active: boolean;
}

/**
 * Why a code kept on the cart gives no discount at the moment (the cart's discount is then 0, and
 * placing the order is refused until the code is removed or the cart qualifies again).
 */
export type CartCodeProblem = { reason: 'BELOW_MINIMUM'; minSubtotalCents: number } | { reason: 'NOT_ACTIVE' } | { reason: 'USED_UP' };
