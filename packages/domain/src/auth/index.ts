export { loadSessionUser, login, logout, me, register, toUser } from './auth.service.ts';
export { actsAsStaff, disableMfa, enableMfa, MFA_ISSUER, requireStaffFactor, setupMfa } from './mfa.service.ts';
