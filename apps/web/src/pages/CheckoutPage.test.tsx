import type { Order } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { cart, cartLine, order } from '../test/fixtures.ts';
import { API_ORIGIN, type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const USER = { id: 'u1', email: 'sam@example.test', name: 'Sam', role: 'shopper' as const, mfa: false };
const CART = cart([cartLine(3, 2, { name: 'Oak Stool', priceCents: 4_999, lineTotalCents: 9_998 })]);
const ADDRESS = { name: 'Sam Shopper', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
const ORDER: Order = order(9, { shippingAddress: ADDRESS });
const NO_ORDERS = { items: [], nextCursor: null };

function openCheckout(resolvers: Resolvers) {
  server.use(...trpc({ 'auth.me': () => USER, 'cart.get': () => CART, 'orders.list': () => NO_ORDERS, ...resolvers }));
  return renderApp('/checkout');
}

async function fillAddress(values: Partial<typeof ADDRESS>) {
  const labels: Record<Exclude<keyof typeof ADDRESS, 'country'>, string> = {
    name: 'Full name',
    line1: 'Address',
    city: 'City',
    postalCode: 'Postal code',
  };
  for (const [key, label] of Object.entries(labels)) {
    const value = values[key as keyof typeof labels];
    if (value) await userEvent.type(await screen.findByLabelText(label), value);
  }
  if (values.country !== undefined) await userEvent.selectOptions(screen.getByLabelText('Country'), values.country);
}

describe('CheckoutPage', () => {
  it('validates the address inline with the server’s schema and sends nothing while invalid', async () => {
    let calls = 0;
    openCheckout({
      'checkout.placeOrder': () => {
        calls++;
        return ORDER;
      },
    });
    await fillAddress({ ...ADDRESS, postalCode: '!!', country: '' });
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect(screen.getByLabelText('Postal code').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Country').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText('Choose a country.')).toBeTruthy();
    expect(screen.getByLabelText('City').getAttribute('aria-invalid')).toBeNull();
    expect(calls).toBe(0);
  });

  it('offers the countries by name and sends the chosen one’s ISO code', async () => {
    const sent: unknown[] = [];
    openCheckout({
      'checkout.placeOrder': (input) => {
        sent.push(input.shippingAddress);
        return ORDER;
      },
      'orders.byId': () => ORDER,
    });
    const country = (await screen.findByLabelText('Country')) as HTMLSelectElement;
    const names = [...country.options].map((o) => o.textContent);
    expect(names).toContain('Germany');
    expect(names).toContain('Côte d’Ivoire');
    // Sorted by name, as a shopper looks for theirs.
    expect(names.indexOf('Austria')).toBeLessThan(names.indexOf('Germany'));
    expect(within(country).getByRole('option', { name: 'United Kingdom' }).getAttribute('value')).toBe('GB');
    await fillAddress({ ...ADDRESS, country: 'Germany' });
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    await waitFor(() => expect(sent).toEqual([{ ...ADDRESS, country: 'DE' }]));
  });

  it('fills in the address of the last order', async () => {
    const last = { name: 'Ada Lovelace', line1: '12 Analytical St', line2: 'Flat 3', city: 'London', postalCode: 'N1 9GU', country: 'GB' };
    const sent: unknown[] = [];
    openCheckout({
      'orders.list': () => ({ items: [order(4, { shippingAddress: last })], nextCursor: null }),
      'checkout.placeOrder': (input) => {
        sent.push(input.shippingAddress);
        return ORDER;
      },
      'orders.byId': () => ORDER,
    });
    expect(((await screen.findByLabelText('Full name')) as HTMLInputElement).value).toBe('Ada Lovelace');
    expect((screen.getByLabelText('Address line 2 (optional)') as HTMLInputElement).value).toBe('Flat 3');
    expect((screen.getByLabelText('Country') as HTMLSelectElement).value).toBe('GB');
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    await waitFor(() => expect(sent).toEqual([last]));
  });

  it('shows the order summary beside the form: lines, the code’s discount and the total', async () => {
    openCheckout({
      'cart.get': () =>
        cart([cartLine(3, 2, { name: 'Oak Stool', priceCents: 4_999, lineTotalCents: 9_998 }), cartLine(5, 1, { name: 'Tea Tin' })], {
          code: 'SPRING-20',
          discountCents: 2_201,
        }),
    });
    const summary = await screen.findByRole('complementary', { name: 'Order summary' });
    expect(
      within(summary)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['2 × Oak Stool€99.98', '1 × Tea Tin€10.05']);
    expect(within(summary).getByText('Discount (SPRING-20)').nextElementSibling?.textContent).toBe('−€22.01');
    expect(within(summary).getByText('Total').nextElementSibling?.textContent).toBe('€88.02');
  });

  it('says why a code in the cart no longer counts, and refreshes the cart when the order is refused for it', async () => {
    let carts = 0;
    openCheckout({
      'cart.get': () => {
        carts++;
        return carts === 1
          ? cart(CART.lines, { code: 'RACE10', discountCents: 500 })
          : cart(CART.lines, { code: 'RACE10', codeProblem: { reason: 'USED_UP' } });
      },
      'checkout.placeOrder': () => new TrpcFailure('CONFLICT', 'the code RACE10 has been used up', 409),
    });
    await fillAddress({ ...ADDRESS, country: 'Germany' });
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect((await screen.findByRole('alert')).textContent).toBe('the code RACE10 has been used up');
    const summary = screen.getByRole('complementary', { name: 'Order summary' });
    expect((await within(summary).findByText(/RACE10 has been used up\. Remove it to check out\./)).textContent).toMatch(/Change the cart/);
    expect(within(summary).getByText('Total').nextElementSibling?.textContent).toBe('€99.98');
  });

  it('retries after a network failure with the same idempotency key, then shows the order', async () => {
    const keys: string[] = [];
    let failNext = true;
    const { location } = openCheckout({ 'orders.byId': () => ORDER });
    // Registered after the page's handlers, so it answers placeOrder before them.
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
    );
    await fillAddress({ ...ADDRESS, country: 'Germany' });
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not be charged twice/);
    await userEvent.click(screen.getByRole('button', { name: 'Place order' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/orders/${ORDER.id}`));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Order 100009');
  });

  it('asks a guest to sign in first', async () => {
    server.use(...trpc({ 'cart.get': () => CART }));
    renderApp('/checkout');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Sign in to check out');
  });
});
