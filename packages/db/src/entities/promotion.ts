import { defineEntity, p } from '@mikro-orm/core';
import { PROMOTION_KINDS } from '@shop/schemas';

/**
 * A promotion code. The database holds the rules that must survive any caller: one code per
 * spelling whatever its case (stored upper-cased, unique), a percentage of 1–100, and never more
 * uses than the limit (checkout redeems with one conditional update; the check stands behind it).
 */
const PromotionSchema = defineEntity({
  name: 'Promotion',
  tableName: 'promotions',
  properties: {
    id: p.integer().primary().autoincrement(),
    code: p.string().length(32).unique('promotions_code_unique').check('code = upper(code)'),
    kind: p.enum([...PROMOTION_KINDS]),
    // percent: 1–100; fixed: integer cents.
    value: p.integer(),
    minSubtotalCents: p.integer().default(0).check('min_subtotal_cents >= 0'),
    startsAt: p.datetime().nullable(),
    endsAt: p.datetime().nullable(),
    usageLimit: p.integer().nullable().check('usage_limit >= 0'),
    usedCount: p.integer().default(0),
    active: p.boolean().default(true),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
  checks: [
    { name: 'promotions_value_check', expression: "value >= 1 and (kind <> 'percent' or value <= 100)" },
    { name: 'promotions_used_count_check', expression: 'used_count >= 0 and (usage_limit is null or used_count <= usage_limit)' },
    { name: 'promotions_dates_check', expression: 'starts_at is null or ends_at is null or ends_at > starts_at' },
  ],
});
export class Promotion extends PromotionSchema.class {}
PromotionSchema.setClass(Promotion);
