import type { CartCodeProblem, Promotion } from '@shop/schemas';
import { formatPrice } from './format.ts';

/** Why the cart's code takes nothing off, and what the shopper can do about it. */
export function codeProblemText(code: string, problem: CartCodeProblem, subtotalCents: number, currency: string): string {
  switch (problem.reason) {
    case 'BELOW_MINIMUM':
      return `Add ${formatPrice(problem.minSubtotalCents - subtotalCents, currency)} more to use ${code} (it needs ${formatPrice(problem.minSubtotalCents, currency)}), or remove it to check out.`;
    case 'USED_UP':
      return `${code} has been used up. Remove it to check out.`;
    case 'NOT_ACTIVE':
      return `${code} is no longer valid. Remove it to check out.`;
  }
}

/** "20% off" or "€5.00 off". */
export function discountLabel(promotion: Pick<Promotion, 'kind' | 'value'>, currency: string): string {
  return promotion.kind === 'percent' ? `${promotion.value}% off` : `${formatPrice(promotion.value, currency)} off`;
}
