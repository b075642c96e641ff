export { addItem, getCart, mergeGuestCart, removeItem, updateItem } from './cart.service.ts';
