import type { ProductSummary } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { page, product, productDetail, SHOPPER } from '../test/fixtures.ts';
import { server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const oakStool = productDetail(3, { slug: 'oak-stool', name: 'Oak Stool', description: 'Sturdy.' });

/** A promise the test resolves by hand, to hold a server response back. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('the wishlist toggle', () => {
  it('saves at once, before the server answers, and stays saved when it agrees', async () => {
    const reply = gate();
    const added: number[] = [];
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'catalog.product': () => oakStool,
        'wishlist.list': () => [],
        'wishlist.add': async ({ productId }) => {
          added.push(productId);
          await reply.opened;
          return [oakStool];
        },
      }),
    );
    renderApp('/p/oak-stool');
    await screen.findByRole('heading', { name: 'Oak Stool' });
    const save = await screen.findByRole('button', { name: 'Save to wishlist' });
    await waitFor(() => expect(save.hasAttribute('disabled')).toBe(false));
    expect(save.getAttribute('aria-pressed')).toBe('false');

    await userEvent.click(save);
    const saved = await screen.findByRole('button', { name: 'Remove from wishlist' });
    expect(saved.getAttribute('aria-pressed')).toBe('true');
    expect(added).toEqual([3]);
    reply.open();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Remove from wishlist' }).getAttribute('aria-pressed')).toBe('true'));
  });

  it('rolls back and says why when the server refuses', async () => {
    const reply = gate();
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'catalog.product': () => oakStool,
        'wishlist.list': () => [oakStool],
        'wishlist.remove': async () => {
          await reply.opened;
          return new TrpcFailure('INTERNAL_SERVER_ERROR', 'database unavailable');
        },
      }),
    );
    renderApp('/p/oak-stool');
    await userEvent.click(await screen.findByRole('button', { name: 'Remove from wishlist' }));
    // Optimistic: unsaved while the request is still out.
    expect((await screen.findByRole('button', { name: 'Save to wishlist' })).getAttribute('aria-pressed')).toBe('false');
    reply.open();
    expect((await screen.findByRole('alert')).textContent).toContain('database unavailable');
    expect(screen.getByRole('button', { name: 'Remove from wishlist' }).getAttribute('aria-pressed')).toBe('true');
  });

  it('ends in the server’s state when two toggles are answered out of order', async () => {
    // The server applies each toggle as it arrives, but the answers come back in reverse.
    let saved: ProductSummary[] = [];
    let listCalls = 0;
    const addReply = gate();
    const removeReply = gate();
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'catalog.product': () => oakStool,
        'wishlist.list': () => {
          listCalls++;
          return saved;
        },
        'wishlist.add': async () => {
          saved = [oakStool];
          const answer = saved;
          await addReply.opened;
          return answer;
        },
        'wishlist.remove': async () => {
          saved = [];
          const answer = saved;
          await removeReply.opened;
          return answer;
        },
      }),
    );
    renderApp('/p/oak-stool');
    const save = await screen.findByRole('button', { name: 'Save to wishlist' });
    await waitFor(() => expect(save.hasAttribute('disabled')).toBe(false));
    await userEvent.click(save);
    await userEvent.click(await screen.findByRole('button', { name: 'Remove from wishlist' }));
    await screen.findByRole('button', { name: 'Save to wishlist' });
    await waitFor(() => expect(saved).toEqual([]));

    removeReply.open();
    addReply.open();
    // The add's answer ([saved]) arrives last but is stale: the list is fetched again instead.
    await waitFor(() => expect(listCalls).toBe(2));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Save to wishlist' }).getAttribute('aria-pressed')).toBe('false'));
  });

  it('sends a visitor who is not signed in to sign in, without calling the server', async () => {
    let calls = 0;
    server.use(
      ...trpc({
        'catalog.product': () => oakStool,
        'wishlist.add': () => {
          calls++;
          return [];
        },
      }),
    );
    const { location } = renderApp('/p/oak-stool');
    const save = await screen.findByRole('button', { name: 'Save to wishlist' });
    await waitFor(() => expect(save.hasAttribute('disabled')).toBe(false));
    await userEvent.click(save);
    await waitFor(() => expect(location.history?.at(-1)).toBe('/signin?next=%2Fp%2Foak-stool'));
    expect(calls).toBe(0);
  });

  it('sits on every product card, named by its product, pressed for the saved ones', async () => {
    const saved: ProductSummary = product(2);
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'catalog.categories': () => [],
        'catalog.list': () => page([1, 2]),
        'wishlist.list': () => [saved],
      }),
    );
    renderApp('/');
    const second = (await screen.findByText('Product 2')).closest('li');
    if (!second) throw new Error('no card for Product 2');
    await waitFor(() =>
      expect(within(second).getByRole('button', { name: 'Remove from wishlist' }).getAttribute('aria-pressed')).toBe('true'),
    );
    const save = screen.getByRole('button', { name: 'Save to wishlist', description: 'Product 1' });
    expect(save.getAttribute('aria-pressed')).toBe('false');
  });
});
