export { adjustStock, listOrders, setOrderStatus, upsertProduct } from './admin.service.ts';
