import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { hashPassword, passwordProblem, verifyPassword } from '@shop/auth';
import { preparedStatement, User as UserEntity } from '@shop/db';
import type { LoginInput, RegisterInput, User } from '@shop/schemas';
import { mergeGuestCart } from '../cart/cart.service.ts';
import type { ServiceContext, SessionUser } from '../context.ts';
import { ShopError } from '../errors.ts';
import { revocation } from '../live/publish.ts';
import { prepared, type SqlConnection } from '../sql.ts';
import { attemptSucceeded, countAttempt } from './attempts.ts';
import { passSecondFactor } from './mfa.service.ts';

export function toUser(user: Pick<SessionUser, 'id' | 'email' | 'name' | 'role' | 'mfa'>): User {
  return { id: user.id, email: user.email, name: user.name, role: user.role, mfa: user.mfa };
}

function sessionUserOf(user: UserEntity): SessionUser {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    sessionVersion: user.sessionVersion,
    mfa: user.totpSecret != null,
  };
}

// Verified against when the email is unknown, so a miss costs as long as a wrong password.
const dummyHash = hashPassword('not-a-real-password-0000');

// Raw SQL, prepared: this runs on every signed-in request, and an entity load costs several
// times more CPU. $1 user, $2 session version.
const SESSION_USER = preparedStatement<SessionUser>(
  'session_user',
  `select id, email, name, role, session_version as "sessionVersion", totp_secret is not null as mfa
   from users where id = $1 and session_version = $2`,
);

/**
 * The user a session names, if it still exists and the session was not revoked since (sign-out and
 * revocation bump the version). The rule for a live session: requests resolve their user with it,
 * and live streams recheck the same two conditions in batches (live/user-stream.ts), so a change
 * to one belongs in the other. Takes the connection, not an EntityManager.
 */
export async function loadSessionUser(connection: SqlConnection, id: string, sessionVersion: number): Promise<SessionUser | null> {
  const [user] = await prepared(connection, SESSION_USER, [id, sessionVersion]);
  return user ?? null;
}

async function startSession(ctx: ServiceContext, user: SessionUser, { mfa = false } = {}): Promise<User> {
  await mergeGuestCart(ctx, user.id);
  await ctx.session.signIn(user, { mfa });
  return toUser(user);
}

export async function register(ctx: ServiceContext, input: RegisterInput): Promise<User> {
  // New passwords only: existing accounts keep signing in with theirs.
  const problem = await passwordProblem(input.password, [input.email, input.name]);
  if (problem) throw new ShopError('BAD_REQUEST', problem);
  const passwordHash = await hashPassword(input.password);
  const user = ctx.em.create(UserEntity, { email: input.email, name: input.name, passwordHash, role: 'shopper' });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw new ShopError('CONFLICT', 'an account with this email exists already');
    throw error;
  }
  return startSession(ctx, sessionUserOf(user));
}

/** Every attempt is counted before the password is checked (attempts.ts), and given back if right. */
export async function login(ctx: ServiceContext, input: LoginInput): Promise<User> {
  await countAttempt(ctx, input.email);
  const user = await ctx.em.findOne(UserEntity, { email: input.email }, { populate: ['passwordHash'] });
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyHash), input.password);
  // The same message whether or not the email exists.
  if (!user || !valid) throw new ShopError('UNAUTHORIZED', 'invalid email or password');
  const mfa = await passSecondFactor(ctx, user, input);
  await attemptSucceeded(ctx, input.email);
  return startSession(ctx, sessionUserOf(user), { mfa });
}

/**
 * Ends the session for real: bumping the version invalidates every copy of the user's cookie
 * (on every device), not just the one this browser drops.
 */
export async function logout(ctx: ServiceContext): Promise<{ ok: true }> {
  if (ctx.user) {
    await ctx.em.nativeUpdate(UserEntity, { id: ctx.user.id }, { sessionVersion: ctx.user.sessionVersion + 1 });
    // Live subscriptions of this user, on any instance, end now rather than at their next check.
    await revocation.publish(ctx.bus, ctx.user.id);
  }
  ctx.session.signOut();
  return { ok: true };
}

export function me(ctx: ServiceContext): User | null {
  return ctx.user ? toUser(ctx.user) : null;
}
