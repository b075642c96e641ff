import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { page, productDetail } from '../test/fixtures.ts';
import { server, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const detail = (slug: string) => productDetail(2, { slug, name: 'Product 2', description: 'Fetched ahead.' });

describe('ProductCard', () => {
  it.each([
    ['pointing at', (link: HTMLElement) => userEvent.hover(link)],
    ['focusing', async (link: HTMLElement) => act(() => link.focus())],
  ])('fetches the product page on %s a card, so the click opens it without another request', async (_how, approach) => {
    const fetched: string[] = [];
    server.use(
      ...trpc({
        'catalog.categories': () => [],
        'catalog.list': () => page([1, 2]),
        'catalog.product': ({ slug }) => {
          fetched.push(slug);
          return detail(slug);
        },
      }),
    );
    const { location } = renderApp('/');
    const link = await screen.findByRole('link', { name: /Product 2/ });
    expect(fetched).toEqual([]);
    await approach(link);
    await waitFor(() => expect(fetched).toEqual(['product-2']));

    await userEvent.click(link);
    expect(location.history?.at(-1)).toBe('/p/product-2');
    expect(await screen.findByText('Fetched ahead.')).toBeTruthy();
    expect(fetched).toEqual(['product-2']);
  });
});
