export * from './admin.ts';
export * from './auth.ts';
export * from './cart.ts';
export * from './catalog.ts';
export * from './common.ts';
export * from './countries.ts';
export * from './orders.ts';
export * from './wishlist.ts';
