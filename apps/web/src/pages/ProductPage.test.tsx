import type { Cart } from '@shop/schemas';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { product } from '../test/fixtures.ts';
import { EMPTY_CART, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const oakStool = {
  ...product(3, { slug: 'oak-stool', name: 'Oak Stool', priceCents: 4_999 }),
  description: 'Sturdy.',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const badge = () => screen.getByRole('link', { name: /^Cart,/ });

/** A promise the test resolves by hand, to hold a server response back. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('ProductPage', () => {
  it('renders the product of a deep link', async () => {
    server.use(...trpc({ 'catalog.product': ({ slug }) => ({ ...oakStool, slug }) }));
    renderApp('/p/oak-stool');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Oak Stool');
    expect(screen.getByText('Sturdy.')).toBeTruthy();
  });

  it('says so when the product does not exist', async () => {
    server.use(...trpc({ 'catalog.product': () => new TrpcFailure('NOT_FOUND', 'product not found', 404) }));
    renderApp('/p/missing');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Product not found');
  });

  it('adds to the cart optimistically: the badge counts before the server answers', async () => {
    const reply = gate();
    const added: Cart = {
      lines: [
        {
          productId: 3,
          slug: 'oak-stool',
          name: 'Oak Stool',
          imageUrl: oakStool.imageUrl,
          priceCents: 4_999,
          quantity: 1,
          stock: 5,
          lineTotalCents: 4_999,
        },
      ],
      itemCount: 1,
      subtotalCents: 4_999,
      currency: 'EUR',
      code: null,
      discountCents: 0,
      totalCents: 4_999,
      codeProblem: null,
    };
    server.use(
      ...trpc({
        'catalog.product': () => oakStool,
        'cart.add': async (input) => {
          expect(input).toEqual({ productId: 3, quantity: 1 });
          await reply.opened;
          return added;
        },
      }),
    );
    renderApp('/p/oak-stool');
    await screen.findByRole('heading', { name: 'Oak Stool' });
    await waitFor(() => expect(badge().textContent).toContain('0'));
    await userEvent.click(screen.getByRole('button', { name: 'Add to cart' }));
    await waitFor(() => expect(badge().getAttribute('aria-label')).toBe('Cart, 1 item'));
    reply.open();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Add to cart' }).hasAttribute('disabled')).toBe(false));
    expect(badge().getAttribute('aria-label')).toBe('Cart, 1 item');
  });

  it('rolls the cart back and says why when the server refuses', async () => {
    const reply = gate();
    server.use(
      ...trpc({
        'catalog.product': () => oakStool,
        'cart.get': () => EMPTY_CART,
        'cart.add': async () => {
          await reply.opened;
          return new TrpcFailure('CONFLICT', 'only 0 of this product in stock', 409);
        },
      }),
    );
    renderApp('/p/oak-stool');
    await screen.findByRole('heading', { name: 'Oak Stool' });
    await waitFor(() => expect(badge().getAttribute('aria-label')).toBe('Cart, 0 items'));
    await userEvent.click(screen.getByRole('button', { name: 'Add to cart' }));
    await waitFor(() => expect(badge().getAttribute('aria-label')).toBe('Cart, 1 item'));
    reply.open();
    expect((await screen.findByRole('alert')).textContent).toContain('only 0 of this product in stock');
    expect(badge().getAttribute('aria-label')).toBe('Cart, 0 items');
  });
});
