import { createHash, randomInt } from 'node:crypto';
import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

/** RFC 6238 defaults, the ones every authenticator app expects: SHA-1, 6 digits, 30 s steps. */
export const TOTP_PERIOD_S = 30;

export function createTotpSecret(): string {
  // 20 bytes (160 bits), the RFC 4226 recommendation.
  return generateSecret({ length: 20 });
}

export function totpUri({ secret, account, issuer }: { secret: string; account: string; issuer: string }): string {
  return generateURI({ issuer, label: account, secret });
}

/** The code an authenticator shows at `atMs` (tests and scripted sign-ins use it). */
export function totpCode(secret: string, atMs = Date.now()): string {
  return generateSync({ secret, epoch: Math.floor(atMs / 1000) });
}

/**
 * The time step `code` belongs to, if it is valid now or one step either side (clock drift), and
 * later than `afterStep` (the last one accepted: a code is good once). Null otherwise.
 */
export function verifyTotp(
  secret: string,
  code: string,
  { afterStep, atMs = Date.now() }: { afterStep?: number | null; atMs?: number },
): number | null {
  const epoch = Math.floor(atMs / 1000);
  // The last accepted step can be ahead of this clock (a clock stepped back, instances on hosts that
  // disagree): no code can be newer than it then, and otplib would throw rather than say so.
  if (afterStep != null && afterStep >= Math.floor(epoch / TOTP_PERIOD_S) + 1) return null;
  const result = verifySync({
    secret,
    token: code,
    epoch,
    epochTolerance: TOTP_PERIOD_S,
    ...(afterStep == null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

// No look-alikes (0/o, 1/i/l): 31 symbols, so 16 of them carry about 79 bits.
const RECOVERY_SYMBOLS = 'abcdefghjkmnpqrstuvwxyz23456789';
export const RECOVERY_CODE_COUNT = 10;

/** Fresh one-time recovery codes, shown to the user once: `xxxx-xxxx-xxxx-xxxx`. */
export function createRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const symbols = Array.from({ length: 16 }, () => RECOVERY_SYMBOLS[randomInt(RECOVERY_SYMBOLS.length)]).join('');
    return symbols.match(/.{4}/g)?.join('-') ?? symbols;
  });
}

/**
 * What is stored of a recovery code. A fast hash is enough here, unlike for passwords: a code is
 * ~79 random bits, so no dictionary or brute force gets anywhere near it, and checking one costs
 * a microsecond instead of an argon2 run per stored code. The user id salts it, so equal codes of
 * two users differ. Case, spaces and dashes are not significant.
 */
export function hashRecoveryCode(userId: string, code: string): string {
  const normalized = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return createHash('sha256').update(`${userId}:${normalized}`).digest('base64url');
}
