import type { ApplyCodeInput, Cart } from '@shop/schemas';
import type { ServiceContext } from '../context.ts';
import { ShopError } from '../errors.ts';
import { CODE_TERMS_COLUMNS, type CodeTermsRow, codeProblem } from '../promotions/promotion-row.ts';
import { codeRefusal } from '../promotions/redeem.ts';
import { sql } from '../sql.ts';
import { createGuestCart, lockCart, readCart } from './cart.service.ts';

/**
 * Puts a promotion code on the caller's cart, replacing any other: NOT_FOUND for a code that does
 * not exist or is not in force, CONFLICT for one used up or a cart below its minimum. Once on the
 * cart, the code stays through later changes; while the cart does not qualify its discount is 0
 * and `codeProblem` says why, and it counts again as soon as the cart does (see Cart).
 */
export async function applyCode(ctx: ServiceContext, input: ApplyCodeInput): Promise<Cart> {
  // Counted before the code is looked up, so calls running side by side (a batch, a socket burst)
  // each take their count first; an accepted code gives its count back.
  const limit = await ctx.limits.codeByIp.consume(ctx.clientIp);
  if (!limit.allowed) {
    const seconds = Math.ceil(limit.retryAfterMs / 1000);
    throw new ShopError('TOO_MANY_REQUESTS', `too many promotion codes tried; try again in ${seconds} s`, { retryAfterS: seconds });
  }
  const cartId = await ctx.em.transactional(async (tx) => {
    const lockedId = await lockCart(ctx, tx, { create: true });
    const { subtotalCents } = await readCart(ctx, lockedId, tx);
    const [terms] = await sql<CodeTermsRow>(tx, `select ${CODE_TERMS_COLUMNS} from promotions pr where pr.code = ?`, [input.code]);
    if (!terms) throw codeRefusal(input.code, 'unknown', null, ctx.currency);
    const problem = codeProblem(terms, subtotalCents);
    if (problem) throw codeRefusal(terms.code, terms.state, problem, ctx.currency);
    // As when adding: a guest's cart is created only once the code is accepted.
    const cartId = lockedId ?? (await createGuestCart(ctx, tx));
    await sql(tx, 'update carts set promotion_id = ? where id = ?', [terms.promotion_id, cartId]);
    return cartId;
  });
  await ctx.limits.codeByIp.reward(ctx.clientIp);
  return readCart(ctx, cartId);
}

/** Takes the code off the caller's cart; without one, nothing changes. */
export async function removeCode(ctx: ServiceContext): Promise<Cart> {
  const cartId = await ctx.em.transactional(async (tx) => {
    const cartId = await lockCart(ctx, tx, { create: false });
    if (cartId) await sql(tx, 'update carts set promotion_id = null where id = ?', [cartId]);
    return cartId;
  });
  return readCart(ctx, cartId);
}
