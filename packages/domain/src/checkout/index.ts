export { cartFingerprint, MAX_ORDER_TOTAL_CENTS, placeOrder, type ShortLine } from './checkout.service.ts';
