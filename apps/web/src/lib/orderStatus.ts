import { canTransition, type OrderStatus } from '@shop/schemas';

export const STATUS_LABELS: Record<OrderStatus, string> = {
  placed: 'Placed',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled',
};

/** The server's own state machine decides which orders offer "Cancel order" (else CONFLICT). */
export const canCancel = (status: OrderStatus): boolean => canTransition(status, 'cancelled');

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** An ISO timestamp as a local date: 2026-11-22T10:00:00Z → 22 Nov 2026. */
export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}
