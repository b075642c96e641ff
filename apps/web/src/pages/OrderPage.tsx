import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';

export default function OrderPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const order = useQuery(trpc.orders.byId.queryOptions({ id }, { retry: false }));
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
      <h1>Order {o.number}</h1>
      <p>
        Status: <strong className={`status-${o.status}`}>{o.status}</strong>
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
