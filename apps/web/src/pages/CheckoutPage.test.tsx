import type { Cart, Order } from '@shop/schemas';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { API_ORIGIN, server, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const USER = { id: 'u1', email: 'sam@example.test', name: 'Sam', role: 'shopper' as const, mfa: false };
const CART: Cart = {
  lines: [
    {
      productId: 3,
      slug: 'oak-stool',
      name: 'Oak Stool',
      imageUrl: '/x.svg',
      priceCents: 4_999,
      quantity: 2,
      stock: 5,
      lineTotalCents: 9_998,
    },
  ],
  itemCount: 2,
  subtotalCents: 9_998,
  currency: 'EUR',
};
const ADDRESS = { name: 'Sam Shopper', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'de' };
const ORDER: Order = {
  id: '00000000-0000-4000-8000-000000000009',
  number: 100_001,
  status: 'placed',
  createdAt: '2026-11-22T10:00:00.000Z',
  lines: [{ productId: 3, name: 'Oak Stool', unitPriceCents: 4_999, quantity: 2, lineTotalCents: 9_998 }],
  totalCents: 9_998,
  currency: 'EUR',
  shippingAddress: { ...ADDRESS, country: 'DE' },
};

async function fillAddress(values: Partial<typeof ADDRESS>) {
  const labels: Record<keyof typeof ADDRESS, string> = {
    name: 'Full name',
    line1: 'Address',
    city: 'City',
    postalCode: 'Postal code',
    country: 'Country code (e.g. DE)',
  };
  for (const [key, label] of Object.entries(labels)) {
    const value = values[key as keyof typeof ADDRESS];
    if (value) await userEvent.type(await screen.findByLabelText(label), value);
  }
}

describe('CheckoutPage', () => {
  it('validates the address inline with the server’s schema and sends nothing while invalid', async () => {
    let calls = 0;
    server.use(
      ...trpc({
        'auth.me': () => USER,
        'cart.get': () => CART,
        'checkout.placeOrder': () => {
          calls++;
          return ORDER;
        },
      }),
    );
    renderApp('/checkout');
    await fillAddress({ ...ADDRESS, postalCode: '!!', country: 'XX' });
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect(screen.getByLabelText('Postal code').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/ISO 3166-1 alpha-2/)).toBeTruthy();
    expect(screen.getByLabelText('City').getAttribute('aria-invalid')).toBeNull();
    expect(calls).toBe(0);
  });

  it('retries after a network failure with the same idempotency key, then shows the order', async () => {
    const keys: string[] = [];
    let failNext = true;
    server.use(
      // The first attempt dies on the way back: the server may well have placed the order.
      http.post(`${API_ORIGIN}/trpc/checkout.placeOrder`, async ({ request }) => {
        const body = (await request.json()) as { '0': { idempotencyKey: string } };
        keys.push(body['0'].idempotencyKey);
        if (failNext) {
          failNext = false;
          return HttpResponse.error();
        }
        return HttpResponse.json([{ result: { data: ORDER } }]);
      }),
      ...trpc({ 'auth.me': () => USER, 'cart.get': () => CART, 'orders.byId': () => ORDER }),
    );
    const { location } = renderApp('/checkout');
    await fillAddress(ADDRESS);
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not be charged twice/);
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/orders/${ORDER.id}`));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Order 100001');
  });

  it('asks a guest to sign in first', async () => {
    server.use(...trpc({ 'cart.get': () => CART }));
    renderApp('/checkout');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Sign in to check out');
  });
});
