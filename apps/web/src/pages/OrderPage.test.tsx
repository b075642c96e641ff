import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
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

  it('cancels a placed order after a confirm step and shows it cancelled', async () => {
    const cancelled: string[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'orders.byId': () => (cancelled.length ? { ...mine, status: 'cancelled' } : mine),
        'orders.cancel': ({ id }) => {
          cancelled.push(id);
          return { ...mine, status: 'cancelled' };
        },
      }),
    );
    renderApp(`/orders/${mine.id}`);
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel order' }));
    // Nothing is sent until the shopper confirms; "Keep order" backs out.
    await userEvent.click(screen.getByRole('button', { name: 'Keep order' }));
    expect(cancelled).toEqual([]);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel order' }));
    expect(screen.getByRole('group', { name: /Cancel order 100007\?/ })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Yes, cancel it' }));
    await userEvent.click(screen.getByRole('button', { name: 'Yes, cancel it' }));

    const progress = screen.getByRole('list', { name: 'Order progress' });
    await waitFor(() => expect(within(progress).getByText('Cancelled').getAttribute('aria-current')).toBe('step'));
    expect(cancelled).toEqual([mine.id]);
    expect(screen.queryByRole('button', { name: 'Cancel order' })).toBeNull();
    expect(screen.getByText('Order 100007 is cancelled.')).toBeTruthy();
  });

  it('says so when the order can no longer be cancelled, and shows where it is now', async () => {
    let shipped = false;
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'orders.byId': () => (shipped ? { ...mine, status: 'shipped' } : mine),
        'orders.cancel': () => {
          shipped = true;
          return new TrpcFailure('CONFLICT', 'an order that is shipped cannot become cancelled', 409);
        },
      }),
    );
    renderApp(`/orders/${mine.id}`);
    await userEvent.click(await screen.findByRole('button', { name: 'Cancel order' }));
    await userEvent.click(screen.getByRole('button', { name: 'Yes, cancel it' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/can no longer be cancelled/);
    const progress = screen.getByRole('list', { name: 'Order progress' });
    await waitFor(() => expect(within(progress).getByText('Shipped').getAttribute('aria-current')).toBe('step'));
    expect(screen.queryByRole('button', { name: 'Cancel order' })).toBeNull();
  });

  it.each(['shipped', 'delivered', 'cancelled'] as const)('offers no cancel button for a %s order', async (status) => {
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'orders.byId': () => ({ ...mine, status }) }));
    renderApp(`/orders/${mine.id}`);
    await screen.findByRole('list', { name: 'Order progress' });
    expect(screen.queryByRole('button', { name: 'Cancel order' })).toBeNull();
  });

  it('asks a guest to sign in and come back to the order', async () => {
    server.use(...trpc({ 'orders.byId': () => new TrpcFailure('UNAUTHORIZED', 'sign in first', 401) }));
    renderApp(`/orders/${mine.id}`);
    await screen.findByRole('heading', { name: 'Sign in to see this order' });
    const links = screen.getAllByRole('link', { name: 'Sign in' }).map((a) => a.getAttribute('href'));
    expect(links).toEqual([
      `/signin?next=${encodeURIComponent(`/orders/${mine.id}`)}`,
      `/signin?next=${encodeURIComponent(`/orders/${mine.id}`)}`,
    ]);
  });
});
