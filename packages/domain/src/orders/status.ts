import { canTransition, type OrderStatus } from '@shop/schemas';
import { ShopError } from '../errors.ts';

/** The one gate every status change passes: returns the new status or refuses with CONFLICT. */
export function transition(order: { status: OrderStatus }, to: OrderStatus): OrderStatus {
  if (!canTransition(order.status, to)) {
    throw new ShopError('CONFLICT', `an order that is ${order.status} cannot become ${to}`, { from: order.status, to });
  }
  return to;
}
