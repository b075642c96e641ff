import { defineEntity, p } from '@mikro-orm/core';

import { USER_ROLES } from '@shop/schemas';

const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    // Stored lower-cased; the unique index makes the lower-casing a guarantee, not a convention.
    email: p.string().length(254).unique('users_email_unique').check('email = lower(email)'),
    name: p.string().length(80),
    passwordHash: p.text().hidden().lazy(),
    role: p.enum([...USER_ROLES]).default('shopper'),
    // Bumped to revoke every session of this user (logout, password change).
    sessionVersion: p.integer().default(1),
    // Last order event number handed out for this user; incremented under the user row's lock so
    // event numbers become visible in commit order (orders.onUpdate resumes after one).
    orderEventSeq: p.bigint('number').default(0),
    // Second factor. The TOTP seed is sealed (the auth package's SecretBox), never stored in clear:
    // `totpSecret` is the enrolled one, `totpPendingSecret` one set up but not yet confirmed.
    totpSecret: p.text().nullable().hidden(),
    totpPendingSecret: p.text().nullable().hidden().lazy(),
    // The last time step a code was accepted for: a code is good once.
    totpLastStep: p.bigint('number').nullable().hidden(),
    createdAt: p.datetime().defaultRaw('now()'),
  },
});
export class User extends UserSchema.class {}
UserSchema.setClass(User);

const RecoveryCodeSchema = defineEntity({
  name: 'RecoveryCode',
  tableName: 'recovery_codes',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    // SHA-256 of the code (auth's hashRecoveryCode); a used code is deleted.
    codeHash: p.text().primary(),
  },
});
export class RecoveryCode extends RecoveryCodeSchema.class {}
RecoveryCodeSchema.setClass(RecoveryCode);
