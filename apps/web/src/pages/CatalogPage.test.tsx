import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { categories, page, product } from '../test/fixtures.ts';
import { server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('CatalogPage', () => {
  it('renders the categories and the product grid from the API', async () => {
    server.use(...trpc({ 'catalog.categories': () => categories, 'catalog.list': () => page(range(1, 3)) }));
    renderApp('/');
    const grid = await screen.findByRole('list', { name: 'Products' });
    await within(grid).findByText('Product 1');
    expect(within(grid).getAllByRole('link')).toHaveLength(3);
    expect(within(grid).getByText('Product 3').closest('a')?.getAttribute('href')).toBe('/p/product-3');
    const nav = screen.getByRole('navigation', { name: 'Categories' });
    expect(
      within(nav)
        .getByRole('link', { name: /Kitchen/ })
        .getAttribute('href'),
    ).toBe('/c/kitchen');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('All products');
  });

  it('shows sold-out products as such', async () => {
    server.use(
      ...trpc({ 'catalog.categories': () => categories, 'catalog.list': () => ({ items: [product(7, { stock: 0 })], nextCursor: null }) }),
    );
    renderApp('/');
    expect(await screen.findByText('Sold out')).toBeTruthy();
  });

  it('asks for the category of the route', async () => {
    const seen: unknown[] = [];
    server.use(
      ...trpc({
        'catalog.categories': () => categories,
        'catalog.list': (input) => {
          seen.push(input);
          return page([9]);
        },
      }),
    );
    renderApp('/c/lighting');
    await screen.findByText('Product 9');
    expect(seen).toContainEqual(expect.objectContaining({ category: 'lighting', limit: 24 }));
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Lighting');
  });

  it('searches once the shopper stops typing', async () => {
    const searches: (string | undefined)[] = [];
    server.use(
      ...trpc({
        'catalog.categories': () => categories,
        'catalog.list': (input) => {
          searches.push(input?.search);
          return input?.search === 'lamp' ? page([42]) : page(range(1, 3));
        },
      }),
    );
    renderApp('/');
    await screen.findByText('Product 1');
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search products' }), 'lamp');
    await screen.findByText('Product 42');
    expect(screen.queryByText('Product 1')).toBeNull();
    // Debounced: no request for the partial words "l", "la", "lam".
    expect(searches.filter((s) => s !== undefined)).toEqual(['lamp']);
  });

  it('loads the next page with the cursor the API returned', async () => {
    server.use(
      ...trpc({
        'catalog.categories': () => categories,
        'catalog.list': (input) => (input?.cursor === 'c1' ? page([3, 4]) : page([1, 2], 'c1')),
      }),
    );
    renderApp('/');
    await screen.findByText('Product 2');
    await userEvent.click(screen.getByRole('button', { name: 'Show more' }));
    await screen.findByText('Product 4');
    expect(screen.getAllByText(/^Product \d$/)).toHaveLength(4);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Show more' })).toBeNull());
  });

  it('shows an error with a retry when the catalog cannot be loaded', async () => {
    let fail = true;
    server.use(
      ...trpc({
        'catalog.categories': () => categories,
        'catalog.list': () => (fail ? new TrpcFailure('INTERNAL_SERVER_ERROR', 'database unavailable') : page([5])),
      }),
    );
    renderApp('/');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('database unavailable');
    fail = false;
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findByText('Product 5');
  });
});
