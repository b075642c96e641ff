import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { product } from '../test/fixtures.ts';
import { server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

describe('ProductPage', () => {
  it('renders the product of a deep link', async () => {
    server.use(
      ...trpc({
        'catalog.product': ({ slug }) => ({
          ...product(3, { slug, name: 'Oak Stool' }),
          description: 'Sturdy.',
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      }),
    );
    renderApp('/p/oak-stool');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Oak Stool');
    expect(screen.getByText('Sturdy.')).toBeTruthy();
  });

  it('says so when the product does not exist', async () => {
    server.use(...trpc({ 'catalog.product': () => new TrpcFailure('NOT_FOUND', 'product not found', 404) }));
    renderApp('/p/missing');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Product not found');
  });
});
