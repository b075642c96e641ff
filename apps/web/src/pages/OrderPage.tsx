import type { Order, OrderStatus } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { OptionsLabel } from '../components/OptionsLabel.tsx';
import { SignInLink } from '../components/SignInLink.tsx';
import { useToast } from '../components/Toasts.tsx';
import { Totals } from '../components/Totals.tsx';
import { formatPrice } from '../lib/format.ts';
import { canCancel, formatDate, STATUS_LABELS } from '../lib/orderStatus.ts';
import { useTRPC } from '../lib/trpc.ts';
import { putOrder, useOrderUpdates } from '../lib/useOrderUpdates.ts';

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

/** "Cancel order", then a second click to confirm: cancelling cannot be undone. */
function CancelOrder({ order }: { order: Order }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [confirming, setConfirming] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);
  const cancel = useMutation(
    trpc.orders.cancel.mutationOptions({
      onSuccess: (cancelled) => {
        putOrder(queryClient, trpc, cancelled);
        // The stock went back on the shelves.
        void queryClient.invalidateQueries({ queryKey: trpc.catalog.pathKey() });
        toast(`Order ${cancelled.number} is cancelled.`);
      },
      onError: (error) => {
        setConfirming(false);
        toast(
          error.data?.code === 'CONFLICT'
            ? `This order can no longer be cancelled: ${error.message}`
            : `Could not cancel: ${error.message}`,
          'error',
        );
        // Most likely it moved on (shipped) meanwhile: show where it is now.
        void queryClient.invalidateQueries({ queryKey: trpc.orders.byId.queryKey({ id: order.id }) });
      },
    }),
  );
  if (!canCancel(order.status)) return null;
  if (!confirming) {
    return (
      <button type="button" className="secondary" onClick={() => setConfirming(true)}>
        Cancel order
      </button>
    );
  }
  return (
    <fieldset className="confirm-cancel" disabled={cancel.isPending}>
      <legend>Cancel order {order.number}? This cannot be undone.</legend>
      <button ref={confirmRef} type="button" className="danger" onClick={() => cancel.mutate({ id: order.id })}>
        {cancel.isPending ? 'Cancelling…' : 'Yes, cancel it'}
      </button>{' '}
      <button type="button" className="secondary" onClick={() => setConfirming(false)}>
        Keep order
      </button>
    </fieldset>
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
  if (order.isError && order.error.data?.code === 'UNAUTHORIZED') {
    return (
      <section className="empty">
        <h1>Sign in to see this order</h1>
        <SignInLink />
      </section>
    );
  }
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
          <li key={`${line.productId}:${line.variantId}:${line.sku}`}>
            {line.quantity} × {line.name}
            <OptionsLabel options={line.options} />: {formatPrice(line.lineTotalCents, o.currency)}
          </li>
        ))}
      </ul>
      <Totals {...o} />
      <CancelOrder order={o} />
    </section>
  );
}
