import { createRecoveryCodes, createTotpSecret, hashRecoveryCode, totpUri, verifyTotp } from '@shop/auth';
import { RecoveryCode, User as UserEntity } from '@shop/db';
import { type LoginInput, type MfaDisableInput, type MfaEnableInput, type MfaSetup, totpCodeSchema } from '@shop/schemas';
import type { AuthedContext, ServiceContext } from '../context.ts';
import { ShopError } from '../errors.ts';
import { attemptSucceeded, countAttempt } from './attempts.ts';

/** The name authenticator apps show beside the account. */
export const MFA_ISSUER = 'Shop';

/** What a factor check needs of the user's row. */
type FactorRow = Pick<UserEntity, 'id' | 'totpSecret' | 'totpLastStep'>;
type FactorCode = Pick<LoginInput, 'totp' | 'recoveryCode'>;

/**
 * Checks a TOTP or recovery code against the user's enrolled factor and uses it up: a TOTP code's
 * time step is recorded (that code, and older ones, are refused from then on), a recovery code is
 * deleted. Both are one conditional statement, so of two requests racing with one code only one wins.
 */
async function useFactor(ctx: ServiceContext, user: FactorRow, { totp, recoveryCode }: FactorCode): Promise<boolean> {
  if (!user.totpSecret) return false;
  if (totp) {
    const opened = ctx.mfa.box.open(user.totpSecret, user.id);
    if (!opened) return false;
    const step = verifyTotp(opened.plaintext, totp, { afterStep: user.totpLastStep });
    if (step === null) return false;
    const accepted = await ctx.em.nativeUpdate(
      UserEntity,
      { id: user.id, $or: [{ totpLastStep: null }, { totpLastStep: { $lt: step } }] },
      // A seed sealed with a retired session secret moves to the newest while we have it open.
      { totpLastStep: step, ...(opened.stale ? { totpSecret: ctx.mfa.box.seal(opened.plaintext, user.id) } : {}) },
    );
    return accepted === 1;
  }
  if (recoveryCode) {
    return (await ctx.em.nativeDelete(RecoveryCode, { user: user.id, codeHash: hashRecoveryCode(user.id, recoveryCode) })) === 1;
  }
  return false;
}

/**
 * The second step of sign-in, once the password is right: true when the account has a factor and
 * the input carried a valid code for it, false when the account has none. An enrolled account
 * without a valid code is refused with reason MFA_REQUIRED; the sign-in's attempt, counted before the
 * password, stays counted.
 */
export async function passSecondFactor(ctx: ServiceContext, user: FactorRow, input: LoginInput): Promise<boolean> {
  if (!user.totpSecret) return false;
  if (await useFactor(ctx, user, input)) return true;
  const message = input.totp || input.recoveryCode ? 'invalid second-factor code' : 'enter the code from your authenticator app';
  throw new ShopError('UNAUTHORIZED', message, undefined, 'MFA_REQUIRED');
}

/**
 * Why a staff account's session may not use staff powers yet, or null: an enrolled account needs a
 * session that passed the factor; with enrolment required, an account without one must enrol first.
 */
function staffFactorRefusal(ctx: AuthedContext): ShopError | null {
  if (ctx.user.mfa) {
    return ctx.session.mfaVerified
      ? null
      : new ShopError('FORBIDDEN', 'second factor required: sign in again with your code', undefined, 'MFA_REQUIRED');
  }
  if (ctx.mfa.requiredForStaff) {
    return new ShopError('FORBIDDEN', 'staff accounts must enrol a second factor first', undefined, 'MFA_ENROLMENT_REQUIRED');
  }
  return null;
}

/** The gate in front of staff procedures, after the role check. */
export function requireStaffFactor(ctx: AuthedContext): void {
  const refusal = staffFactorRefusal(ctx);
  if (refusal) throw refusal;
}

/**
 * Staff whose session may use staff powers (every support room, for one): the role, and the second
 * factor where the account has one or must. Anyone else is treated as a shopper.
 */
export function actsAsStaff(ctx: AuthedContext): boolean {
  return ctx.user.role === 'staff' && staffFactorRefusal(ctx) === null;
}

function refuseWhenEnrolled(ctx: AuthedContext): void {
  if (ctx.user.mfa) throw new ShopError('CONFLICT', 'a second factor is enrolled already; disable it first');
}

/**
 * Starts enrolment: a new TOTP seed, kept pending (sealed) until `enableMfa` confirms a code from
 * it. Calling it again replaces the pending seed. An enrolled account must disable first, so a
 * stolen password alone cannot swap the factor.
 */
export async function setupMfa(ctx: AuthedContext): Promise<MfaSetup> {
  refuseWhenEnrolled(ctx);
  const secret = createTotpSecret();
  await ctx.em.nativeUpdate(UserEntity, { id: ctx.user.id }, { totpPendingSecret: ctx.mfa.box.seal(secret, ctx.user.id) });
  return { secret, otpauthUri: totpUri({ secret, account: ctx.user.email, issuer: MFA_ISSUER }) };
}

/**
 * Confirms the pending seed with a code from it: the seed becomes the account's factor, fresh
 * recovery codes replace any old ones (returned this once; only their hashes are kept), and this
 * session counts as verified, since its user just proved the code.
 */
export async function enableMfa(ctx: AuthedContext, { code }: MfaEnableInput): Promise<{ recoveryCodes: string[] }> {
  refuseWhenEnrolled(ctx);
  const { id } = ctx.user;
  const user = await ctx.em.findOneOrFail(UserEntity, { id }, { populate: ['totpPendingSecret'] });
  const pending = user.totpPendingSecret ? ctx.mfa.box.open(user.totpPendingSecret, id) : null;
  if (!pending) throw new ShopError('CONFLICT', 'set up a second factor first');
  const step = verifyTotp(pending.plaintext, code, {});
  if (step === null) throw new ShopError('BAD_REQUEST', 'that code is not valid; check the time on your device and try the next one');
  const recoveryCodes = createRecoveryCodes();
  await ctx.em.transactional(async (em) => {
    const enabled = await em.nativeUpdate(
      UserEntity,
      { id, totpSecret: null },
      { totpSecret: ctx.mfa.box.seal(pending.plaintext, id), totpPendingSecret: null, totpLastStep: step },
    );
    if (enabled !== 1) throw new ShopError('CONFLICT', 'a second factor is enrolled already; disable it first');
    await em.nativeDelete(RecoveryCode, { user: id });
    await em.insertMany(
      RecoveryCode,
      recoveryCodes.map((c) => ({ user: id, codeHash: hashRecoveryCode(id, c) })),
    );
  });
  await ctx.session.signIn(ctx.user, { mfa: true });
  return { recoveryCodes };
}

/**
 * Removes the factor and its recovery codes; takes a current TOTP code or an unused recovery code.
 * Every code is counted toward the sign-in limits before it is checked, so a session without the
 * factor cannot guess its way in, however many calls it sends at once.
 */
export async function disableMfa(ctx: AuthedContext, { code }: MfaDisableInput): Promise<{ ok: true }> {
  if (!ctx.user.mfa) throw new ShopError('CONFLICT', 'no second factor is enrolled');
  const { email, id } = ctx.user;
  await countAttempt(ctx, email);
  const user = await ctx.em.findOneOrFail(UserEntity, { id });
  if (!(await useFactor(ctx, user, totpCodeSchema.safeParse(code).success ? { totp: code } : { recoveryCode: code }))) {
    throw new ShopError('BAD_REQUEST', 'that code is not valid');
  }
  await attemptSucceeded(ctx, email);
  await ctx.em.transactional(async (em) => {
    await em.nativeUpdate(UserEntity, { id }, { totpSecret: null, totpPendingSecret: null, totpLastStep: null });
    await em.nativeDelete(RecoveryCode, { user: id });
  });
  return { ok: true };
}
