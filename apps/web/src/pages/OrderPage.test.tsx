import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { order, SHOPPER } from '../test/fixtures.ts';
import { live, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const mine = order(7);

describe('OrderPage', () => {
  it('shows a status change the server pushes while the page is open', async () => {
    server.use(
      ...trpc({ 'auth.me': () => SHOPPER, 'orders.byId': ({ id }) => (id === mine.id ? mine : new TrpcFailure('NOT_FOUND', 'no', 404)) }),
    );
    renderApp(`/orders/${mine.id}`);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Order 100007');
    const progress = screen.getByRole('list', { name: 'Order progress' });
    expect(within(progress).getByText('Placed').getAttribute('aria-current')).toBe('step');

    const subscription = await live.subscribed('orders.onUpdate');
    expect(subscription.lastEventId).toBeUndefined();
    // Another order of the same shopper changes first: this page stays as it is.
    subscription.emit(order(8, { status: 'cancelled' }), '1');
    subscription.emit({ ...mine, status: 'shipped' }, '2');

    await waitFor(() => expect(within(progress).getByText('Shipped').getAttribute('aria-current')).toBe('step'));
    expect(screen.getByRole('status').textContent).toBe('Order 100007 is now shipped.');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Order 100007');
  });

  it('shows a cancelled order as cancelled, not on its way', async () => {
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'orders.byId': () => ({ ...mine, status: 'cancelled' }) }));
    renderApp(`/orders/${mine.id}`);
    const progress = await screen.findByRole('list', { name: 'Order progress' });
    expect(within(progress).getByText('Cancelled').getAttribute('aria-current')).toBe('step');
    expect(within(progress).queryByText('Shipped')).toBeNull();
  });
});
