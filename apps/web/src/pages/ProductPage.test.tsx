import type { Cart } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { onlyVariantId, page, productDetail } from '../test/fixtures.ts';
import { EMPTY_CART, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const oakStool = productDetail(3, { slug: 'oak-stool', name: 'Oak Stool', priceCents: 4_999, description: 'Sturdy.' });
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
          variantId: onlyVariantId(3),
          sku: 'oak-stool',
          options: {},
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
          expect(input).toEqual({ productId: 3, variantId: onlyVariantId(3), quantity: 1 });
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

  it('shows where the product sits: Home › its category › the product, all but the last a link', async () => {
    server.use(...trpc({ 'catalog.product': () => oakStool, 'catalog.list': () => page([]) }));
    renderApp('/p/oak-stool');
    const trail = await screen.findByRole('navigation', { name: 'Breadcrumb' });
    const steps = within(trail).getAllByRole('listitem');
    expect(steps.map((li) => li.textContent)).toEqual(['Home', 'Kitchen', 'Oak Stool']);
    expect(
      within(trail)
        .getAllByRole('link')
        .map((a) => a.getAttribute('href')),
    ).toEqual(['/', '/c/kitchen']);
    expect(steps[2]?.getAttribute('aria-current')).toBe('page');
  });

  it('suggests more from the same category, without the product itself', async () => {
    const asked: unknown[] = [];
    server.use(
      ...trpc({
        'catalog.product': () => oakStool,
        'catalog.list': (input) => {
          asked.push(input);
          return { items: [oakStool, ...page([11, 12, 13, 14]).items], nextCursor: 'more' };
        },
      }),
    );
    renderApp('/p/oak-stool');
    const more = await screen.findByRole('list', { name: 'More from Kitchen' });
    expect(
      within(more)
        .getAllByRole('link', { name: /Product 1\d$/ })
        .map((a) => a.getAttribute('href')),
    ).toEqual(['/p/product-11', '/p/product-12', '/p/product-13', '/p/product-14']);
    expect(within(more).queryByText('Oak Stool')).toBeNull();
    // (A request of the test before may land here too: each asks the same.)
    expect(asked.length).toBeGreaterThan(0);
    for (const input of asked) expect(input).toEqual({ category: 'kitchen', limit: 5 });
  });

  it('suggests nothing when the product is alone in its category', async () => {
    server.use(...trpc({ 'catalog.product': () => oakStool, 'catalog.list': () => ({ items: [oakStool], nextCursor: null }) }));
    renderApp('/p/oak-stool');
    await screen.findByRole('heading', { name: 'Oak Stool' });
    await waitFor(() => expect(screen.queryByRole('heading', { name: /More from/ })).toBeNull());
    expect(screen.queryByRole('list', { name: /More from/ })).toBeNull();
  });
});
