export { hashPassword, verifyPassword } from './password.ts';
export { createRateLimiter, type RateLimiter, type RateLimitRule } from './rate-limit.ts';
export { createSecretBox, type SecretBox } from './secret-box.ts';
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
export {
  createRecoveryCodes,
  createTotpSecret,
  hashRecoveryCode,
  RECOVERY_CODE_COUNT,
  TOTP_PERIOD_S,
  totpCode,
  totpUri,
  verifyTotp,
} from './totp.ts';
