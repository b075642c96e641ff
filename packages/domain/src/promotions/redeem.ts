import type { EntityManager } from '@mikro-orm/postgresql';
import type { CartCodeProblem } from '@shop/schemas';
import { ShopError } from '../errors.ts';
import { formatMoney } from '../money.ts';
import { sql } from '../sql.ts';
import { CODE_TERMS_COLUMNS, type CodeTermsRow, codeProblem, discountFor, PROMOTION_STATE, type PromotionState } from './promotion-row.ts';

/** Why a code cannot be used, as the shopper reads it; NOT_FOUND or CONFLICT as the contract has it. */
export function codeRefusal(code: string, state: PromotionState | 'unknown', problem: CartCodeProblem | null, currency: string): ShopError {
  switch (state) {
    case 'unknown':
      return new ShopError('NOT_FOUND', `there is no code ${code}`);
    case 'inactive':
      return new ShopError('NOT_FOUND', `the code ${code} is not active`);
    case 'not_started':
      return new ShopError('NOT_FOUND', `the code ${code} is not valid yet`);
    case 'ended':
      return new ShopError('NOT_FOUND', `the code ${code} has expired`);
    case 'used_up':
      return new ShopError('CONFLICT', `the code ${code} has been used up`, { code, codeProblem: problem });
    case 'live':
      if (problem?.reason === 'BELOW_MINIMUM') {
        const minimum = formatMoney(problem.minSubtotalCents, currency);
        return new ShopError('CONFLICT', `the code ${code} needs a subtotal of at least ${minimum}`, { code, codeProblem: problem });
      }
      // Usable again by the time the refusal was explained: staff changed it meanwhile.
      return new ShopError('CONFLICT', `the code ${code} changed just now: try again`, { code, codeProblem: problem });
  }
}

export interface Redeemed {
  promotionId: number;
  code: string;
  discountCents: number;
}

/**
 * Takes one use of the code inside the order's transaction: one conditional update, which waits
 * for any other redemption of the code to end and then re-checks its condition on the row that
 * one left, so concurrent checkouts can never pass the limit. CONFLICT (NOT_FOUND never: the
 * cart held the code) when the code no longer applies; the caller's rollback then undoes the rest.
 */
export async function redeemCode(em: EntityManager, promotionId: number, subtotalCents: number, currency: string): Promise<Redeemed> {
  const [taken] = await sql<CodeTermsRow>(
    em,
    `update promotions pr set used_count = pr.used_count + 1
     where pr.id = ? and (${PROMOTION_STATE}) = 'live' and pr.min_subtotal_cents <= ?
     returning pr.id as promotion_id, pr.code, pr.kind, pr.value, pr.min_subtotal_cents, 'live' as state`,
    [promotionId, subtotalCents],
  );
  if (taken) return { promotionId, code: taken.code, discountCents: discountFor(taken, subtotalCents) };
  const [terms] = await sql<CodeTermsRow>(em, `select ${CODE_TERMS_COLUMNS} from promotions pr where pr.id = ?`, [promotionId]);
  if (!terms) throw new Error(`promotion ${promotionId} vanished under its cart`);
  const refusal = codeRefusal(terms.code, terms.state, codeProblem(terms, subtotalCents), currency);
  // At checkout every refusal is CONFLICT: the shopper removes the code or changes the cart.
  throw refusal.kind === 'CONFLICT'
    ? refusal
    : new ShopError('CONFLICT', refusal.message, { code: terms.code, codeProblem: { reason: 'NOT_ACTIVE' } });
}

/** Gives back the use an order took, if it took one (its cancellation, in the same transaction). */
export async function releaseOrderCode(em: EntityManager, orderId: string): Promise<void> {
  await sql(
    em,
    `update promotions set used_count = used_count - 1
     where id = (select promotion_id from orders where id = ?) and used_count > 0`,
    [orderId],
  );
}

/** Gives back a use taken in this transaction whose order was not written after all. */
export async function releaseUse(em: EntityManager, promotionId: number): Promise<void> {
  await sql(em, 'update promotions set used_count = used_count - 1 where id = ? and used_count > 0', [promotionId]);
}
