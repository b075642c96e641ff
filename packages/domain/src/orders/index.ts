export { streamOrderUpdates } from './events.ts';
export { cancelOrder, changeStatus, getOrder, listOrders } from './orders.service.ts';
export { transition } from './status.ts';
