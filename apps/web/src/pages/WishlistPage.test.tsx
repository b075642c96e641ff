import type { ProductSummary } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { product, SHOPPER } from '../test/fixtures.ts';
import { EMPTY_CART, server, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

describe('WishlistPage', () => {
  it('lists the saved products, and removing one takes it off the list and off the server', async () => {
    let saved: ProductSummary[] = [product(1, { name: 'Oak Stool' }), product(2, { name: 'Brass Lamp', stock: 0 })];
    const removed: number[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'wishlist.list': () => saved,
        'wishlist.remove': ({ productId }) => {
          removed.push(productId);
          saved = saved.filter((p) => p.id !== productId);
          return saved;
        },
      }),
    );
    renderApp('/wishlist');
    const list = await screen.findByRole('list', { name: 'Saved products' });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(2));
    expect(within(list).getByRole('link', { name: 'Oak Stool' }).getAttribute('href')).toBe('/p/product-1');
    expect(within(list).getByRole('button', { name: 'Add to cart: Oak Stool' }).hasAttribute('disabled')).toBe(false);
    expect(within(list).getByRole('button', { name: 'Sold out: Brass Lamp' }).hasAttribute('disabled')).toBe(true);

    await userEvent.click(within(list).getByRole('button', { name: 'Remove Oak Stool from wishlist' }));
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(1));
    expect(within(list).queryByText('Oak Stool')).toBeNull();
    expect(removed).toEqual([1]);
  });

  it('adds a saved product to the cart', async () => {
    const added: number[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'wishlist.list': () => [product(1, { name: 'Oak Stool' })],
        'cart.add': ({ productId }) => {
          added.push(productId);
          return { ...EMPTY_CART, itemCount: 1 };
        },
      }),
    );
    renderApp('/wishlist');
    await userEvent.click(await screen.findByRole('button', { name: 'Add to cart: Oak Stool' }));
    await waitFor(() => expect(screen.getByRole('link', { name: /^Cart,/ }).getAttribute('aria-label')).toBe('Cart, 1 item'));
    expect(added).toEqual([1]);
  });

  it('says how to fill an empty wishlist', async () => {
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'wishlist.list': () => [] }));
    renderApp('/wishlist');
    expect(await screen.findByText(/Nothing saved yet/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Browse the shop' }).getAttribute('href')).toBe('/');
  });

  it('asks a visitor who is not signed in to sign in', async () => {
    server.use(...trpc({}));
    renderApp('/wishlist');
    expect(await screen.findByRole('heading', { level: 1, name: 'Sign in to see your wishlist' })).toBeTruthy();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe('/signin?next=%2Fwishlist');
  });
});
