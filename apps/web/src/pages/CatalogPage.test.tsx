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

describe('CatalogPage price filter', () => {
  const listed = () => {
    const seen: { minPriceCents?: number | undefined; maxPriceCents?: number | undefined }[] = [];
    server.use(
      ...trpc({
        'catalog.categories': () => categories,
        'catalog.list': (input) => {
          seen.push({ minPriceCents: input?.minPriceCents, maxPriceCents: input?.maxPriceCents });
          return page(input?.maxPriceCents === 2_550 ? [8] : [1, 2]);
        },
      }),
    );
    return seen;
  };
  const minField = () => screen.getByRole('textbox', { name: 'Minimum price' }) as HTMLInputElement;
  const maxField = () => screen.getByRole('textbox', { name: 'Maximum price' }) as HTMLInputElement;

  it('takes the range from the address bar, narrows it as typed, and keeps it in the address bar', async () => {
    const seen = listed();
    renderApp('/c/lighting?minPriceCents=1000');
    await screen.findByText('Product 1');
    expect(minField().value).toBe('10.00');
    expect(seen[0]).toEqual({ minPriceCents: 1_000, maxPriceCents: undefined });

    await userEvent.type(maxField(), '25,5');
    await screen.findByText('Product 8');
    expect(seen.at(-1)).toEqual({ minPriceCents: 1_000, maxPriceCents: 2_550 });
    // Debounced: no request for the partial "2", "25", "25,".
    expect(seen.filter((s) => s.maxPriceCents !== undefined)).toHaveLength(1);
    await waitFor(() => expect(new URLSearchParams(window.location.search).get('maxPriceCents')).toBe('2550'));
    expect(new URLSearchParams(window.location.search).get('minPriceCents')).toBe('1000');

    await userEvent.clear(minField());
    await waitFor(() => expect(seen.at(-1)).toEqual({ minPriceCents: undefined, maxPriceCents: 2_550 }));
    await waitFor(() => expect(new URLSearchParams(window.location.search).has('minPriceCents')).toBe(false));
    window.history.replaceState(null, '', '/');
  });

  it('says why a range is not applied: a minimum above the maximum, or no price, and sends neither bound', async () => {
    const seen = listed();
    renderApp('/');
    await screen.findByText('Product 1');
    await userEvent.type(minField(), '50');
    await userEvent.type(maxField(), '20');
    expect((await screen.findByText('The minimum price is above the maximum.')).getAttribute('role')).toBe('status');
    expect(maxField().getAttribute('aria-invalid')).toBe('true');
    await userEvent.clear(maxField());
    await userEvent.type(maxField(), 'cheap');
    expect(await screen.findByText('Enter prices such as 12.50.')).toBeTruthy();
    // Only the minimum was ever applied on its own, while the maximum was still being typed.
    expect(seen.every((s) => s.maxPriceCents === undefined)).toBe(true);
    window.history.replaceState(null, '', '/');
  });
});
