import type { Order, OrderStatus } from '@shop/schemas';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { formatPrice } from '../lib/format.ts';
import { formatDate, STATUS_LABELS } from '../lib/orderStatus.ts';
import { useTRPC } from '../lib/trpc.ts';
import { useOrderUpdates } from '../lib/useOrderUpdates.ts';

/** The way an order goes: forward only, or cancelled straight after it was placed. */
function stepsOf(status: OrderStatus): OrderStatus[] {
  return status === 'cancelled' ? ['placed', 'cancelled'] : ['placed', 'shipped', 'delivered'];
}

function Progress({ status }: { status: OrderStatus }) {
  const steps = stepsOf(status);
  const reached = steps.indexOf(status);
  return (
    <ol className="order-steps" aria-label="Order progress">
      {steps.map((step, i) => (
        <li key={step} className={i <= reached ? `done step-${step}` : undefined} aria-current={i === reached ? 'step' : undefined}>
          {STATUS_LABELS[step]}
        </li>
      ))}
    </ol>
  );
}

export default function OrderPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const order = useQuery(trpc.orders.byId.queryOptions({ id }, { retry: false }));
  // Announced once per change pushed while the page is open, not on first render.
  const [announcement, setAnnouncement] = useState('');
  useOrderUpdates((update: Order) => {
    if (update.id === id) setAnnouncement(`Order ${update.number} is now ${STATUS_LABELS[update.status].toLowerCase()}.`);
  });

  if (order.isPending) return <p className="status">Loading…</p>;
  if (order.isError) {
    return (
      <section className="empty">
        <h1>{order.error.data?.code === 'NOT_FOUND' ? 'Order not found' : 'Something went wrong'}</h1>
        <Link href="/">Back to the shop</Link>
      </section>
    );
  }
  const o = order.data;
  return (
    <section className="order">
      <p>
        <Link href="/orders">All orders</Link>
      </p>
      <h1>Order {o.number}</h1>
      <p>
        Placed {formatDate(o.createdAt)}. Status: <strong className={`status-${o.status}`}>{STATUS_LABELS[o.status]}</strong>
      </p>
      <Progress status={o.status} />
      <p className="visually-hidden" role="status">
        {announcement}
      </p>
      <ul>
        {o.lines.map((line) => (
          <li key={line.productId}>
            {line.quantity} × {line.name}: {formatPrice(line.lineTotalCents, o.currency)}
          </li>
        ))}
      </ul>
      <p>
        Total: <strong>{formatPrice(o.totalCents, o.currency)}</strong>
      </p>
    </section>
  );
}
