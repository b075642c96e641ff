import type { CartCodeProblem, Promotion, PromotionKind } from '@shop/schemas';

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A promotion's columns from a relation named `pr`. */
export const PROMOTION_COLUMNS = `pr.id, pr.code, pr.kind, pr.value, pr.min_subtotal_cents,
  ${iso('pr.starts_at')} as starts_at, ${iso('pr.ends_at')} as ends_at, pr.usage_limit, pr.used_count, pr.active`;

export interface PromotionRow {
  id: number;
  code: string;
  kind: PromotionKind;
  value: number;
  min_subtotal_cents: number;
  /** ISO-8601 UTC, printed by PostgreSQL. */
  starts_at: string | null;
  ends_at: string | null;
  usage_limit: number | null;
  used_count: number;
  active: boolean;
}

export function toPromotion(row: PromotionRow): Promotion {
  return {
    id: row.id,
    code: row.code,
    kind: row.kind,
    value: row.value,
    minSubtotalCents: row.min_subtotal_cents,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    usageLimit: row.usage_limit,
    usedCount: row.used_count,
    active: row.active,
  };
}

export type PromotionState = 'inactive' | 'not_started' | 'ended' | 'used_up' | 'live';

/**
 * Whether the promotion `pr` can be used now: the one definition, read by the cart and written
 * into checkout's redeeming update, so the two cannot disagree. `now()` is the transaction's start.
 */
export const PROMOTION_STATE = `case
  when not pr.active then 'inactive'
  when pr.starts_at > now() then 'not_started'
  when pr.ends_at <= now() then 'ended'
  when pr.usage_limit is not null and pr.used_count >= pr.usage_limit then 'used_up'
  else 'live' end`;

/** What a discount is computed from, and the code's state now (from a relation named `pr`). */
export interface CodeTermsRow {
  promotion_id: number;
  code: string;
  kind: PromotionKind;
  value: number;
  min_subtotal_cents: number;
  state: PromotionState;
}

export const CODE_TERMS_COLUMNS = `pr.id as promotion_id, pr.code, pr.kind, pr.value, pr.min_subtotal_cents, ${PROMOTION_STATE} as state`;

/** The discount on a subtotal: a percentage rounded half up to the cent, or a fixed amount; never more than the subtotal. */
export function discountFor(terms: Pick<CodeTermsRow, 'kind' | 'value'>, subtotalCents: number): number {
  const discount = terms.kind === 'percent' ? Math.floor((subtotalCents * terms.value + 50) / 100) : terms.value;
  return Math.min(discount, subtotalCents);
}

/** Why the code gives no discount on this subtotal now, or null when it does. */
export function codeProblem(terms: Pick<CodeTermsRow, 'state' | 'min_subtotal_cents'>, subtotalCents: number): CartCodeProblem | null {
  if (terms.state === 'used_up') return { reason: 'USED_UP' };
  if (terms.state !== 'live') return { reason: 'NOT_ACTIVE' };
  if (subtotalCents < terms.min_subtotal_cents) return { reason: 'BELOW_MINIMUM', minSubtotalCents: terms.min_subtotal_cents };
  return null;
}

/** A cart's or order's code, discount and total on a subtotal, with `terms` the code's (null: no code). */
export function priceWithCode(
  subtotalCents: number,
  terms: CodeTermsRow | null,
): { code: string | null; discountCents: number; totalCents: number; codeProblem: CartCodeProblem | null } {
  if (!terms) return { code: null, discountCents: 0, totalCents: subtotalCents, codeProblem: null };
  const problem = codeProblem(terms, subtotalCents);
  const discountCents = problem ? 0 : discountFor(terms, subtotalCents);
  return { code: terms.code, discountCents, totalCents: subtotalCents - discountCents, codeProblem: problem };
}
