export { adjustStock, listOrders, setOrderStatus, upsertProduct } from './admin.service.ts';
export { listPromotions, upsertPromotion } from './promotions.service.ts';
