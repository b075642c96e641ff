export { streamOrderUpdates } from './events.ts';
export { cancelOrder, changeStatus, getOrder, listOrders } from './orders.service.ts';
export { canTransition, transition } from './status.ts';
