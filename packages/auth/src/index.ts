export { hashPassword, verifyPassword } from './password.ts';
export { createRateLimiter, type RateLimiter, type RateLimitRule } from './rate-limit.ts';
export {
  createSessionCodec,
  MIN_SECRET_LENGTH,
  readCookie,
  SESSION_ABSOLUTE_MS,
  SESSION_COOKIE,
  SESSION_IDLE_MS,
  SESSION_REFRESH_MS,
  type SessionCodec,
  type SessionData,
} from './session.ts';
export { passwordProblem } from './strength.ts';
