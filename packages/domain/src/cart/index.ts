export { addItem, getCart, mergeGuestCart, removeItem, updateItem } from './cart.service.ts';
export { applyCode, removeCode } from './cart-code.ts';
