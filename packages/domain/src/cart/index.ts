export { mergeGuestCart } from './cart.service.ts';
