import { z } from 'zod';
import { storedText } from './common.ts';

export const USER_ROLES = ['shopper', 'staff'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

export const registerInput = z.strictObject({
  email: emailSchema,
  password: z.string().min(8).max(128),
  name: storedText().trim().min(1).max(80),
});
export type RegisterInput = z.infer<typeof registerInput>;

/** A code from an authenticator app (TOTP): 6 digits. */
export const totpCodeSchema = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'the 6-digit code from your authenticator app');
/** A one-time recovery code as shown at enrolment (`xxxx-xxxx-xxxx-xxxx`); case and dashes are not significant. */
export const recoveryCodeSchema = z.string().trim().min(1).max(64);

// No length rules on sign-in beyond a sanity cap: a wrong password is UNAUTHORIZED, not BAD_REQUEST.
export const loginInput = z.strictObject({
  email: storedText().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(128),
  /** Second factor, for an account that enrolled one: a TOTP code or a recovery code. */
  totp: totpCodeSchema.optional(),
  recoveryCode: recoveryCodeSchema.optional(),
});
export type LoginInput = z.infer<typeof loginInput>;

export const mfaEnableInput = z.strictObject({ code: totpCodeSchema });
export type MfaEnableInput = z.infer<typeof mfaEnableInput>;

/** Disabling takes a current TOTP code or an unused recovery code. */
export const mfaDisableInput = z.strictObject({ code: z.union([totpCodeSchema, recoveryCodeSchema]) });
export type MfaDisableInput = z.infer<typeof mfaDisableInput>;

export interface MfaSetup {
  /** For the authenticator app's QR scanner. */
  otpauthUri: string;
  /** The same secret, base32, for typing in by hand. */
  secret: string;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  /** The account has enrolled a second factor. */
  mfa: boolean;
}
