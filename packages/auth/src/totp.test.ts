import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.ts';
import { createRecoveryCodes, createTotpSecret, hashRecoveryCode, TOTP_PERIOD_S, totpCode, verifyTotp } from './totp.ts';

const STEP_MS = TOTP_PERIOD_S * 1000;
const SECRET_A = 'first-session-secret-that-is-long-enough-0';
const SECRET_B = 'second-session-secret-that-is-long-enough-1';

describe('verifyTotp', () => {
  it('accepts the current code and one step of drift either side, nothing further', () => {
    const secret = createTotpSecret();
    const now = Date.now();
    for (const offset of [-1, 0, 1]) expect(verifyTotp(secret, totpCode(secret, now + offset * STEP_MS), { atMs: now })).not.toBeNull();
    for (const offset of [-2, 2]) expect(verifyTotp(secret, totpCode(secret, now + offset * STEP_MS), { atMs: now })).toBeNull();
  });

  it('refuses a code whose step is not after the last one accepted', () => {
    const secret = createTotpSecret();
    const step = verifyTotp(secret, totpCode(secret), {});
    expect(step).not.toBeNull();
    expect(verifyTotp(secret, totpCode(secret), { afterStep: step })).toBeNull();
    expect(verifyTotp(secret, totpCode(secret, Date.now() + STEP_MS), { afterStep: step })).toBe((step as number) + 1);
  });

  it('refuses, without throwing, when the last accepted step is ahead of this clock (a clock set back)', () => {
    const secret = createTotpSecret();
    const now = Date.now();
    const ahead = Math.floor(now / STEP_MS) + 5;
    for (const offset of [-1, 0, 1])
      expect(verifyTotp(secret, totpCode(secret, now + offset * STEP_MS), { afterStep: ahead, atMs: now })).toBeNull();
  });
});

describe('recovery codes', () => {
  it('are distinct, readable, and hash the same whatever their case and dashes, differently per user', () => {
    const codes = createRecoveryCodes();
    expect(new Set(codes).size).toBe(10);
    const [code = ''] = codes;
    expect(hashRecoveryCode('u1', code)).toBe(hashRecoveryCode('u1', code.toUpperCase().replaceAll('-', '')));
    expect(hashRecoveryCode('u1', code)).not.toBe(hashRecoveryCode('u2', code));
  });
});

describe('createSecretBox', () => {
  it('opens what it sealed only for the same context, and with an older secret still listed', () => {
    const sealed = createSecretBox([SECRET_A]).seal('JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(createSecretBox([SECRET_A]).open(sealed, 'user-1')).toEqual({ plaintext: 'JBSWY3DPEHPK3PXP', stale: false });
    expect(createSecretBox([SECRET_A]).open(sealed, 'user-2')).toBeNull();
    expect(createSecretBox([SECRET_B, SECRET_A]).open(sealed, 'user-1')).toEqual({ plaintext: 'JBSWY3DPEHPK3PXP', stale: true });
    expect(createSecretBox([SECRET_B]).open(sealed, 'user-1')).toBeNull();
    expect(createSecretBox([SECRET_A]).open(`${sealed.slice(0, -2)}AA`, 'user-1')).toBeNull();
  });
});
