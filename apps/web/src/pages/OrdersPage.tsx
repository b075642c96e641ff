import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { SignInLink } from '../components/SignInLink.tsx';
import { formatPrice } from '../lib/format.ts';
import { formatDate, STATUS_LABELS } from '../lib/orderStatus.ts';
import { useTRPC } from '../lib/trpc.ts';
import { useOrderUpdates } from '../lib/useOrderUpdates.ts';

const PAGE_SIZE = 20;

function OrderRowSkeleton() {
  return (
    <li className="order-row order-row-skeleton" aria-hidden="true">
      <span className="skeleton-line" />
      <span className="skeleton-line short" />
    </li>
  );
}

/** The signed-in shopper's orders, newest first, with their live status. */
export default function OrdersPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const orders = useInfiniteQuery(
    trpc.orders.list.infiniteQueryOptions({ limit: PAGE_SIZE }, { enabled: Boolean(me.data), getNextPageParam: (page) => page.nextCursor }),
  );
  useOrderUpdates();

  if (me.isSuccess && !me.data) {
    return (
      <section className="empty">
        <h1>Sign in to see your orders</h1>
        <SignInLink />
      </section>
    );
  }
  const items = orders.data?.pages.flatMap((p) => p.items) ?? [];
  const loading = me.isPending || orders.isPending;
  return (
    <section className="orders" aria-labelledby="orders-title">
      <h1 id="orders-title">Your orders</h1>
      {orders.isError ? (
        <div role="alert" className="error">
          <p>Could not load your orders: {orders.error.message}</p>
          <button type="button" onClick={() => void orders.refetch()}>
            Try again
          </button>
        </div>
      ) : !loading && items.length === 0 ? (
        <div className="empty">
          <p>You have not ordered anything yet.</p>
          <Link href="/">Start shopping</Link>
        </div>
      ) : (
        <>
          <ul className="order-list" aria-busy={loading} aria-label="Orders">
            {items.map((o) => {
              const count = o.lines.reduce((sum, l) => sum + l.quantity, 0);
              return (
                <li key={o.id} className="order-row">
                  <Link href={`/orders/${o.id}`} className="order-number">
                    Order {o.number}
                  </Link>
                  <span className={`order-status status-${o.status}`}>{STATUS_LABELS[o.status]}</span>
                  <span className="order-meta">
                    <time dateTime={o.createdAt}>{formatDate(o.createdAt)}</time> · {count} {count === 1 ? 'item' : 'items'}
                  </span>
                  <span className="order-total">{formatPrice(o.totalCents, o.currency)}</span>
                </li>
              );
            })}
            {(loading || orders.isFetchingNextPage) &&
              Array.from({ length: loading ? 5 : 3 }, (_, i) => <OrderRowSkeleton key={`s${i}`} />)}
          </ul>
          {orders.hasNextPage && (
            <button type="button" className="more" disabled={orders.isFetchingNextPage} onClick={() => void orders.fetchNextPage()}>
              {orders.isFetchingNextPage ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      )}
    </section>
  );
}
