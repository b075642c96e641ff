import type { ServiceContext } from '../context.ts';
import { ShopError } from '../errors.ts';

/**
 * Counts one attempt at a secret (a password, a second-factor code) for the email and for the
 * client's address before anything is verified, and refuses it once either has used up its window.
 * Calls running side by side (a batch, a socket burst) each take their count first, so no more than
 * the rule allows ever reach a verification. A success gives its count back (attemptSucceeded).
 */
export async function countAttempt(ctx: ServiceContext, email: string): Promise<void> {
  const { loginByEmail, loginByIp } = ctx.limits;
  const [byEmail, byIp] = await Promise.all([loginByEmail.consume(email), loginByIp.consume(ctx.clientIp)]);
  if (!byEmail.allowed || !byIp.allowed) {
    const seconds = Math.ceil(Math.max(byEmail.retryAfterMs, byIp.retryAfterMs) / 1000);
    throw new ShopError('TOO_MANY_REQUESTS', `too many failed attempts; try again in ${seconds} s`, { retryAfterS: seconds });
  }
}

/** The attempt was right: the email's failures are forgotten, the address's attempt given back. */
export async function attemptSucceeded(ctx: ServiceContext, email: string): Promise<void> {
  await Promise.all([ctx.limits.loginByEmail.reset(email), ctx.limits.loginByIp.reward(ctx.clientIp)]);
}
