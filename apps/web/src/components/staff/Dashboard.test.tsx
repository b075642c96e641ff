import type { StaffStats } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { product, SHOPPER, STAFF } from '../../test/fixtures.ts';
import { EMPTY_CART, live, server, trpc } from '../../test/msw.ts';
import { renderApp } from '../../test/render.tsx';

/** An hour of minutes from 10:00 UTC, with `counts` at the end (the newest last). */
function stats(overrides: Partial<StaffStats> = {}, counts: number[] = []): StaffStats {
  const start = Date.parse('2026-12-01T10:00:00.000Z');
  const minutes = Array.from({ length: 60 }, (_, i) => ({
    minute: new Date(start + i * 60_000).toISOString(),
    count: counts[i - (60 - counts.length)] ?? 0,
  }));
  return {
    at: '2026-12-01T10:59:30.000Z',
    ordersToday: 0,
    revenueTodayCents: 0,
    ordersPerMinute: minutes,
    shoppersOnline: 0,
    lowStock: [],
    ...overrides,
  };
}

function openStaff(user = STAFF) {
  server.use(
    ...trpc({
      'auth.me': () => user,
      'cart.get': () => ({ ...EMPTY_CART, currency: 'EUR' }),
      'catalog.list': () => ({ items: [product(1)], nextCursor: null }),
      'admin.order.list': () => ({ items: [], nextCursor: null }),
    }),
  );
  return renderApp('/staff');
}

const figure = (region: HTMLElement, term: string) => within(region).getByText(term).closest('div')?.querySelector('dd')?.textContent;

describe('the staff dashboard', () => {
  it('opens the staff area with the live figures, the hour as a chart and the low stock, and follows each update', async () => {
    openStaff();
    const region = await screen.findByRole('region', { name: 'Today' });
    expect(within(region).getByLabelText('Loading the figures')).toBeTruthy();
    const sub = await live.subscribed('admin.stats.onUpdate');
    sub.emit(
      stats(
        {
          ordersToday: 12,
          revenueTodayCents: 45_050,
          shoppersOnline: 7,
          lowStock: [
            { productId: 3, variantId: 103, name: 'Oak Stool', options: {}, stock: 0 },
            { productId: 4, variantId: 104, name: 'Desk Lamp', options: { Size: 'L' }, stock: 2 },
          ],
        },
        [1, 0, 4, 2],
      ),
    );
    await waitFor(() => expect(figure(region, 'Orders today')).toBe('12'));
    expect(figure(region, 'Revenue today')).toMatch(/450[.,]50/);
    expect(figure(region, 'Shoppers online')).toBe('7');
    const chart = within(region).getByRole('img', { name: '7 orders in the last hour, at most 4 in one minute' });
    const bars = chart.querySelectorAll('rect');
    expect(bars).toHaveLength(60);
    const heights = [...bars].map((b) => Number(b.getAttribute('height')));
    // The peak minute is the tallest bar, an empty minute has none, and the newest is on the right.
    expect(heights[58]).toBe(Math.max(...heights));
    expect(heights[57]).toBe(0);
    expect(heights[59]).toBeGreaterThan(0);
    expect(bars[58]?.textContent).toMatch(/4 orders$/);
    const low = within(region).getByRole('list', { name: /Low stock/ });
    expect(
      within(low)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['Oak Stoolsold out', 'Desk Lamp (L)2 left']);

    sub.emit(stats({ ordersToday: 13, revenueTodayCents: 46_000, shoppersOnline: 6 }, [1, 0, 4, 3]));
    await waitFor(() => expect(figure(region, 'Orders today')).toBe('13'));
    expect(figure(region, 'Shoppers online')).toBe('6');
    expect(within(region).getByRole('img', { name: '8 orders in the last hour, at most 4 in one minute' })).toBeTruthy();
    expect(within(region).getByText('Nothing is running low.')).toBeTruthy();
  });

  it('says why the figures are unavailable when the server refuses them', async () => {
    openStaff();
    (await live.subscribed('admin.stats.onUpdate')).fail('FORBIDDEN', 'second factor required');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Live figures unavailable: second factor required');
  });

  it('opens no subscription for a shopper', async () => {
    openStaff(SHOPPER);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Not allowed');
    expect(live.subscriptions('admin.stats.onUpdate')).toEqual([]);
  });
});
