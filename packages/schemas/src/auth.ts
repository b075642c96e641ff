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

// No length rules on sign-in beyond a sanity cap: a wrong password is UNAUTHORIZED, not BAD_REQUEST.
export const loginInput = z.strictObject({
  email: storedText().trim().toLowerCase().min(1).max(254),
  password: z.string().min(1).max(128),
});
export type LoginInput = z.infer<typeof loginInput>;

export interface User {
  id: string;
  email: string;
  name: string;
  role: UserRole;
}
