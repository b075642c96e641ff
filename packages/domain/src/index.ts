export * as auth from './auth/index.ts';
export * as catalog from './catalog/index.ts';
export type { AuthedContext, Limits, ServiceContext, SessionPort, SessionUser } from './context.ts';
export { ShopError, type ShopErrorKind } from './errors.ts';
export { createLimits } from './limits.ts';
