import type { Cart, Product } from '@shop/schemas';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { cart, cartLine, order, product, productDetail, SHOPPER, STAFF } from '../test/fixtures.ts';
import { server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

// A bound on waiting, not a speed requirement: the staff page loads lazily on a busy machine.
configure({ asyncUtilTimeout: 5_000 });

// A tee in S, M, L (Sage and Ocean): L only in Sage, M in Ocean sold out, M dearer.
const TEE: Product = productDetail(7, {
  slug: 'tee',
  name: 'Linen Tee',
  priceCents: 1_900,
  stock: 9,
  options: [
    { name: 'Size', values: ['S', 'M', 'L'] },
    { name: 'Colour', values: ['Sage', 'Ocean'] },
  ],
  variants: [
    { id: 71, sku: 'TEE-S-SAGE', options: { Size: 'S', Colour: 'Sage' }, priceCents: 1_900, stock: 3 },
    { id: 72, sku: 'TEE-S-OCEAN', options: { Size: 'S', Colour: 'Ocean' }, priceCents: 1_900, stock: 1 },
    { id: 73, sku: 'TEE-M-SAGE', options: { Size: 'M', Colour: 'Sage' }, priceCents: 2_100, stock: 4 },
    { id: 74, sku: 'TEE-M-OCEAN', options: { Size: 'M', Colour: 'Ocean' }, priceCents: 2_100, stock: 0 },
    { id: 75, sku: 'TEE-L-SAGE', options: { Size: 'L', Colour: 'Sage' }, priceCents: 1_900, stock: 1 },
  ],
});

const radio = (group: string, value: RegExp) =>
  within(screen.getByRole('group', { name: new RegExp(`^${group}`) })).getByRole('radio', { name: value });

describe('choosing a variant on the product page', () => {
  it("asks for every option first, then shows the variant's price and stock and adds that variant", async () => {
    const added: unknown[] = [];
    server.use(
      ...trpc({
        'catalog.product': () => TEE,
        'cart.add': (input) => {
          added.push(input);
          return cart([
            cartLine(7, 1, { variantId: 73, options: { Size: 'M', Colour: 'Sage' }, priceCents: 2_100, lineTotalCents: 2_100 }),
          ]);
        },
      }),
    );
    const { location } = renderApp('/p/tee');
    await screen.findByRole('heading', { name: 'Linen Tee' });
    expect(screen.getByText('from €19.00')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Choose Size and Colour' }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.click(radio('Size', /^M/));
    // M in Ocean is sold out: that colour is shown as such (S comes in Ocean: it stays choosable).
    expect((radio('Colour', /Ocean \(sold out\)/) as HTMLInputElement).disabled).toBe(false);
    await userEvent.click(radio('Colour', /^Sage/));
    expect(screen.getByText('€21.00')).toBeTruthy();
    expect(screen.getByText('4 in stock')).toBeTruthy();
    await waitFor(() => expect(location.history?.at(-1)).toBe('/p/tee?Size=M&Colour=Sage'));

    await userEvent.click(screen.getByRole('button', { name: 'Add to cart' }));
    await waitFor(() => expect(added).toEqual([{ productId: 7, variantId: 73, quantity: 1 }]));
  });

  it('keeps the choice in the address: a link opens with it picked, and a combination not made is marked unavailable', async () => {
    server.use(...trpc({ 'catalog.product': () => TEE }));
    renderApp('/p/tee?Colour=Ocean&Size=nonsense');
    await screen.findByRole('heading', { name: 'Linen Tee' });
    expect((radio('Colour', /^Ocean/) as HTMLInputElement).checked).toBe(true);
    expect(radio('Size', /L \(unavailable\)/)).toBeTruthy();
    expect(radio('Size', /M \(sold out\)/)).toBeTruthy();
    expect((radio('Size', /^S$/) as HTMLInputElement).disabled).toBe(false);
    expect(screen.getByRole('button', { name: 'Choose Size' })).toBeTruthy();
  });

  it('never locks the shopper out of a variant in stock: a value that does not go with the choice drops what conflicts', async () => {
    // Only S in Sage and M in Ocean are in stock; XL is sold out in every colour.
    const cap = productDetail(9, {
      slug: 'cap',
      name: 'Wool Cap',
      priceCents: 2_000,
      stock: 3,
      options: [
        { name: 'Size', values: ['S', 'M', 'XL'] },
        { name: 'Colour', values: ['Sage', 'Ocean'] },
      ],
      variants: [
        { id: 91, sku: 'CAP-S-SAGE', options: { Size: 'S', Colour: 'Sage' }, priceCents: 2_000, stock: 2 },
        { id: 92, sku: 'CAP-M-OCEAN', options: { Size: 'M', Colour: 'Ocean' }, priceCents: 2_200, stock: 1 },
        { id: 93, sku: 'CAP-XL-SAGE', options: { Size: 'XL', Colour: 'Sage' }, priceCents: 2_000, stock: 0 },
      ],
    });
    const added: unknown[] = [];
    server.use(
      ...trpc({
        'catalog.product': () => cap,
        'cart.add': (input) => {
          added.push(input);
          return cart([]);
        },
      }),
    );
    const { location } = renderApp('/p/cap?Size=S&Colour=Sage');
    await screen.findByRole('heading', { name: 'Wool Cap' });
    // With S in Sage chosen, M (only in Ocean) and Ocean (only in M) are marked, not disabled.
    const medium = radio('Size', /M \(unavailable\)/) as HTMLInputElement;
    expect(medium.disabled).toBe(false);
    expect((radio('Colour', /Ocean \(unavailable\)/) as HTMLInputElement).disabled).toBe(false);
    // XL has nothing in stock in any colour: disabled.
    expect((radio('Size', /XL \(sold out\)/) as HTMLInputElement).disabled).toBe(true);

    await userEvent.click(medium);
    // Sage does not come in M: it is dropped, for the shopper to choose again.
    await waitFor(() => expect(location.history?.at(-1)).toBe('/p/cap?Size=M'));
    expect((radio('Colour', /^Sage/) as HTMLInputElement).checked).toBe(false);
    await userEvent.click(radio('Colour', /^Ocean$/));
    expect(screen.getByText('€22.00')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Add to cart' }));
    await waitFor(() => expect(added).toEqual([{ productId: 9, variantId: 92, quantity: 1 }]));
  });
});

describe('adding from a list that offers no options', () => {
  it('takes the shopper to the product page to choose, when the server says the product needs a variant', async () => {
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'wishlist.list': () => [product(7, { slug: 'tee', name: 'Linen Tee' })],
        'cart.add': () =>
          new TrpcFailure('BAD_REQUEST', 'product 7 comes in 5 variants: say which one (variantId)', 400, 'VARIANT_REQUIRED'),
        'catalog.product': () => TEE,
      }),
    );
    const { location } = renderApp('/wishlist');
    await userEvent.click(await screen.findByRole('button', { name: 'Add to cart: Linen Tee' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/p/tee'));
    expect(await screen.findByText('Choose the options of Linen Tee first')).toBeTruthy();
    expect(await screen.findByRole('group', { name: 'Size' })).toBeTruthy();
  });

  it('says what went wrong, and stays, when the server refuses for another reason', async () => {
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'wishlist.list': () => [product(7, { slug: 'tee', name: 'Linen Tee' })],
        'cart.add': () => new TrpcFailure('BAD_REQUEST', 'a cart holds at most 50 different products', 400),
      }),
    );
    const { location } = renderApp('/wishlist');
    await userEvent.click(await screen.findByRole('button', { name: 'Add to cart: Linen Tee' }));
    expect(await screen.findByText('Could not add to cart: a cart holds at most 50 different products')).toBeTruthy();
    expect(location.history?.at(-1)).toBe('/wishlist');
  });
});

describe('options in the cart and on orders', () => {
  const line = cartLine(7, 2, { variantId: 73, sku: 'TEE-M-SAGE', name: 'Linen Tee', options: { Size: 'M', Colour: 'Sage' } });

  it("the cart shows each line's options, and changes and removes that variant", async () => {
    const calls: unknown[] = [];
    const answer = (input: unknown): Cart => {
      calls.push(input);
      return cart([]);
    };
    server.use(...trpc({ 'cart.get': () => cart([line]), 'cart.update': answer, 'cart.remove': answer }));
    renderApp('/cart');
    const item = (await screen.findByRole('link', { name: 'Linen Tee' })).closest('li') as HTMLElement;
    expect(item.textContent).toContain('(M / Sage)');
    expect(within(item).getByRole('link', { name: 'Linen Tee' }).getAttribute('href')).toBe('/p/product-7?Size=M&Colour=Sage');
    await userEvent.selectOptions(within(item).getByRole('combobox'), '1');
    await waitFor(() => expect(calls).toEqual([{ productId: 7, variantId: 73, quantity: 1 }]));
  });

  it('an order shows the options ordered', async () => {
    const placed = order(1, {
      lines: [
        {
          productId: 7,
          variantId: 73,
          sku: 'TEE-M-SAGE',
          options: { Size: 'M', Colour: 'Sage' },
          name: 'Linen Tee',
          unitPriceCents: 2_100,
          quantity: 1,
          lineTotalCents: 2_100,
        },
      ],
    });
    server.use(...trpc({ 'auth.me': () => SHOPPER, 'orders.byId': () => placed }));
    renderApp(`/orders/${placed.id}`);
    expect((await screen.findByText(/Linen Tee/)).closest('li')?.textContent).toBe('1 × Linen Tee (M / Sage): €21.00');
  });
});

describe('staff editing options and variants', () => {
  it('offers every combination of the values typed and sends the options with the variants ticked', async () => {
    const single = productDetail(8, { slug: 'plain-cap', name: 'Plain Cap', priceCents: 1_200, stock: 4 });
    const sent: unknown[] = [];
    server.use(
      ...trpc({
        'auth.me': () => STAFF,
        'catalog.list': () => ({ items: [single], nextCursor: null }),
        'catalog.product': () => single,
        'admin.order.list': () => ({ items: [], nextCursor: null }),
        'admin.product.upsert': (input) => {
          sent.push(input);
          return { ...single, options: input.options ?? [], variants: [] };
        },
      }),
    );
    renderApp('/staff');
    await userEvent.click(await screen.findByRole('button', { name: 'Options and variants of Plain Cap' }));
    const form = await screen.findByRole('form', { name: 'Options and variants of Plain Cap' });
    // The product as it is: one variant, without options.
    expect((within(form).getByRole('checkbox', { name: 'Offer The product' }) as HTMLInputElement).checked).toBe(true);

    await userEvent.click(within(form).getByRole('button', { name: 'Add an option' }));
    await userEvent.type(within(form).getByLabelText('Option 1'), 'Size');
    await userEvent.type(within(form).getByLabelText('Values of option 1'), 'S, M');
    for (const size of ['S', 'M']) await userEvent.click(within(form).getByRole('checkbox', { name: `Offer ${size}` }));
    await userEvent.clear(within(form).getByLabelText('Price of M'));
    await userEvent.type(within(form).getByLabelText('Price of M'), '14.50');
    await userEvent.clear(within(form).getByLabelText('Stock of S'));
    await userEvent.type(within(form).getByLabelText('Stock of S'), '3');
    await userEvent.click(within(form).getByRole('button', { name: 'Save options and variants' }));

    await waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({
      id: 8,
      slug: 'plain-cap',
      priceCents: 1_200,
      options: [{ name: 'Size', values: ['S', 'M'] }],
      variants: [
        { sku: 'PLAIN-CAP-S', options: { Size: 'S' }, priceCents: 1_200, stock: 3 },
        { sku: 'PLAIN-CAP-M', options: { Size: 'M' }, priceCents: 1_450, stock: 0 },
      ],
    });
  });

  it('sends no stock for existing variants, only a change to one as a difference from what staff saw', async () => {
    const upserts: unknown[] = [];
    const adjustments: unknown[] = [];
    // Since the editor loaded (S: 3), orders took 2: the server has 1.
    let smallStock = 1;
    const onServer = (): Product => ({
      ...TEE,
      variants: TEE.variants.map((v) => (v.id === 71 ? { ...v, stock: smallStock } : v)),
    });
    server.use(
      ...trpc({
        'auth.me': () => STAFF,
        'catalog.list': () => ({ items: [TEE], nextCursor: null }),
        'catalog.product': () => TEE,
        'admin.order.list': () => ({ items: [], nextCursor: null }),
        'admin.product.upsert': (input) => {
          upserts.push(input);
          return onServer();
        },
        'admin.product.adjustStock': (input) => {
          adjustments.push(input);
          if (input.variantId === 71) smallStock += input.delta;
          return onServer();
        },
      }),
    );
    renderApp('/staff');
    await userEvent.click(await screen.findByRole('button', { name: 'Options and variants of Linen Tee' }));
    const form = await screen.findByRole('form', { name: 'Options and variants of Linen Tee' });
    await userEvent.clear(within(form).getByLabelText('Price of M / Sage'));
    await userEvent.type(within(form).getByLabelText('Price of M / Sage'), '22.00');
    await userEvent.click(within(form).getByRole('button', { name: 'Save options and variants' }));
    await waitFor(() => expect(upserts).toHaveLength(1));
    const sent = upserts[0] as { variants: { id?: number; priceCents: number; stock?: number }[] };
    expect(sent.variants.map((v) => [v.id, v.priceCents])).toContainEqual([73, 2_200]);
    expect(sent.variants.filter((v) => 'stock' in v)).toEqual([]);
    expect(adjustments).toEqual([]);

    // Staff add 2 to S, as they saw it (3 → 5): the server's 1 becomes 3.
    await waitFor(() => expect((within(form).getByLabelText('Stock of S / Sage') as HTMLInputElement).value).toBe('1'));
    await userEvent.clear(within(form).getByLabelText('Stock of S / Sage'));
    await userEvent.type(within(form).getByLabelText('Stock of S / Sage'), '3');
    await userEvent.click(within(form).getByRole('button', { name: 'Save options and variants' }));
    await waitFor(() => expect(adjustments).toEqual([{ productId: 7, variantId: 71, delta: 2 }]));
    expect((upserts[1] as { variants: object[] }).variants.filter((v) => 'stock' in v)).toEqual([]);
    await waitFor(() => expect((within(form).getByLabelText('Stock of S / Sage') as HTMLInputElement).value).toBe('3'));
    expect(smallStock).toBe(3);
  });
});
