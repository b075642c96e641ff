import { nextStatuses, ORDER_STATUSES, type Order, type OrderStatus } from '@shop/schemas';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { formatPrice } from '../../lib/format.ts';
import { useTRPC } from '../../lib/trpc.ts';
import { replaceInPages } from '../../lib/useOrderUpdates.ts';
import { useToast } from '../Toasts.tsx';
import { RowSkeleton } from './ProductEditor.tsx';

const PAGE_SIZE = 20;
const ACTION: Record<OrderStatus, string> = {
  placed: 'Mark placed',
  shipped: 'Mark shipped',
  delivered: 'Mark delivered',
  cancelled: 'Cancel order',
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function OrderQueue() {
  const trpc = useTRPC();
  const [status, setStatus] = useState<OrderStatus | ''>('');
  const orders = useInfiniteQuery(
    trpc.admin.order.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...(status ? { status } : {}) },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const items = orders.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="staff-section" aria-labelledby="staff-orders">
      <h2 id="staff-orders">Orders</h2>
      <div className="filters">
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as OrderStatus | '')}>
            <option value="">All</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {orders.isError ? (
        <div role="alert" className="error">
          <p>Could not load orders: {orders.error.message}</p>
          <button type="button" onClick={() => void orders.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          <ul className="staff-list" aria-label="Orders" aria-busy={orders.isPending}>
            {items.map((o) => (
              <OrderRow key={o.id} order={o} />
            ))}
            {(orders.isPending || orders.isFetchingNextPage) && [1, 2, 3].map((i) => <RowSkeleton key={`s${i}`} />)}
          </ul>
          {!orders.isPending && items.length === 0 && <p className="status">No orders.</p>}
          {orders.hasNextPage && (
            <button type="button" className="more" disabled={orders.isFetchingNextPage} onClick={() => void orders.fetchNextPage()}>
              {orders.isFetchingNextPage ? 'Loading…' : 'Show more orders'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function OrderRow({ order }: { order: Order }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const listKey = trpc.admin.order.list.pathKey();
  const move = useMutation(
    trpc.admin.order.setStatus.mutationOptions({
      onSuccess: (updated) => {
        replaceInPages(queryClient, listKey, updated);
        toast(`Order ${updated.number} is now ${updated.status}.`);
      },
      onError: (error, vars) => {
        toast(`Could not move order ${order.number} to ${vars.status}: ${error.message}`, 'error');
        // Someone else may have moved it: show where it really is.
        void queryClient.invalidateQueries({ queryKey: listKey });
      },
    }),
  );
  // The server's own transition table: offer only the moves it allows. It still decides, and a
  // refused move (someone else moved the order first) is reported.
  const next = nextStatuses(order.status);
  const titleId = `order-${order.id}`;
  const itemCount = order.lines.reduce((n, l) => n + l.quantity, 0);
  return (
    <li className="staff-row">
      <article aria-labelledby={titleId}>
        <div className="staff-row-head">
          <h3 id={titleId}>Order {order.number}</h3>
          <span className={`order-status status-${order.status}`}>
            <span className="visually-hidden">Status: </span>
            {order.status}
          </span>
        </div>
        <p className="muted">
          <time dateTime={order.createdAt}>{dateFormat.format(new Date(order.createdAt))}</time> · {order.shippingAddress.name} ·{' '}
          {itemCount} {itemCount === 1 ? 'item' : 'items'} · {formatPrice(order.totalCents, order.currency)}
        </p>
        {next.length > 0 && (
          <div className="staff-actions">
            {next.map((to) => (
              <button
                key={to}
                type="button"
                className={to === 'cancelled' ? 'danger' : undefined}
                disabled={move.isPending}
                onClick={() => move.mutate({ id: order.id, status: to })}
              >
                {ACTION[to]}
              </button>
            ))}
          </div>
        )}
      </article>
    </li>
  );
}
