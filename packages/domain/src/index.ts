export * as catalog from './catalog/index.ts';
export type { ServiceContext } from './context.ts';
export { ShopError, type ShopErrorKind } from './errors.ts';
