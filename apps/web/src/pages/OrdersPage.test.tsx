import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { order, SHOPPER } from '../test/fixtures.ts';
import { live, server, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

describe('OrdersPage', () => {
  it('lists the orders, each linking to its page, and pages on with the cursor', async () => {
    const cursors: (string | undefined)[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'orders.list': (input) => {
          const cursor = input ? input.cursor : undefined;
          cursors.push(cursor);
          return cursor === 'next'
            ? { items: [order(1, { status: 'delivered' })], nextCursor: null }
            : { items: [order(3), order(2, { status: 'shipped', totalCents: 1_250 })], nextCursor: 'next' };
        },
      }),
    );
    renderApp('/orders');
    const list = await screen.findByRole('list', { name: 'Orders' });
    await waitFor(() => expect(within(list).getAllByRole('link')).toHaveLength(2));
    const second = within(list).getByRole('link', { name: 'Order 100002' });
    expect(second.getAttribute('href')).toBe(`/orders/${order(2).id}`);
    const row = second.closest('li');
    if (!row) throw new Error('no row');
    expect(row.textContent).toContain('Shipped');
    expect(row.textContent).toMatch(/12[.,]50/);

    await userEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await waitFor(() => expect(within(list).getAllByRole('link')).toHaveLength(3));
    expect(within(list).getByRole('link', { name: 'Order 100001' })).toBeTruthy();
    expect(cursors).toEqual([undefined, 'next']);
    expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull();
  });

  it('updates a listed order when the server pushes a new status', async () => {
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'orders.list': () => ({ items: [order(2)], nextCursor: null }) }));
    renderApp('/orders');
    const link = await screen.findByRole('link', { name: 'Order 100002' });
    const row = link.closest('li');
    if (!row) throw new Error('no row');
    expect(row.textContent).toContain('Placed');
    (await live.subscribed('orders.onUpdate')).emit(order(2, { status: 'shipped' }), '1');
    await waitFor(() => expect(row.textContent).toContain('Shipped'));
  });

  it('says so when there are no orders yet', async () => {
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'orders.list': () => ({ items: [], nextCursor: null }) }));
    renderApp('/orders');
    expect(await screen.findByText('You have not ordered anything yet.')).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Orders' })).toBeNull();
  });

  it('asks a visitor who is not signed in to sign in', async () => {
    server.use(...trpc({}));
    renderApp('/orders');
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to see your orders' })).toBeTruthy();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/signin?next=%2Forders');
  });
});
