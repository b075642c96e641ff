import type { OrderStatus, Product } from '@shop/schemas';
import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { order, product, productDetail, SHOPPER, STAFF } from '../test/fixtures.ts';
import { type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

// A bound on waiting, not a speed requirement: the first render loads the lazy page on a busy machine.
configure({ asyncUtilTimeout: 5_000 });

const OAK = product(3, { name: 'Oak Stool', slug: 'oak-stool', priceCents: 4_999, stock: 5 });
const full = (overrides: Partial<Product> = {}): Product =>
  productDetail(3, { ...OAK, description: 'Solid oak.', createdAt: '2026-11-01T00:00:00.000Z', ...overrides });

function openStaff(resolvers: Resolvers) {
  server.use(
    ...trpc({
      'auth.me': () => STAFF,
      'catalog.list': () => ({ items: [OAK], nextCursor: null }),
      'admin.order.list': () => ({ items: [], nextCursor: null }),
      ...resolvers,
    }),
  );
  return renderApp('/staff');
}

async function productForm(name: string) {
  return screen.findByRole('form', { name });
}

describe('StaffPage', () => {
  it('tells a shopper they are not allowed, and shows no staff link', async () => {
    let adminCalls = 0;
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'admin.order.list': () => {
          adminCalls++;
          return { items: [], nextCursor: null };
        },
      }),
    );
    renderApp('/staff');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Not allowed');
    expect(screen.queryByRole('link', { name: 'Staff' })).toBeNull();
    expect(adminCalls).toBe(0);
  });

  it('saves a new price in integer cents, keeping the product’s other fields, and shows it', async () => {
    const upserts: unknown[] = [];
    let adjusts = 0;
    openStaff({
      'catalog.product': () => full(),
      'admin.product.upsert': (input) => {
        upserts.push(input);
        return full({ priceCents: input.priceCents });
      },
      'admin.product.adjustStock': () => {
        adjusts++;
        return full();
      },
    });
    expect((await screen.findByRole('link', { name: 'Staff' })).getAttribute('href')).toBe('/staff');
    const form = await productForm('Oak Stool');
    const price = within(form).getByLabelText('Price (EUR)');
    expect((price as HTMLInputElement).value).toBe('49.99');
    await userEvent.clear(price);
    await userEvent.type(price, '12.3');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(within(form).getByRole('status').textContent).toMatch(/Saved: €12\.30, 5 in stock/));
    expect(upserts).toEqual([
      { id: 3, slug: 'oak-stool', name: 'Oak Stool', description: 'Solid oak.', priceCents: 1_230, categorySlug: 'kitchen' },
    ]);
    expect(adjusts).toBe(0);
    expect(within(form).getByText(/€12\.30 · 5 in stock/)).toBeTruthy();
    expect((price as HTMLInputElement).value).toBe('12.30');
  });

  it('changes stock by the difference to what was shown', async () => {
    const deltas: number[] = [];
    openStaff({
      'admin.product.adjustStock': ({ delta }) => {
        deltas.push(delta);
        return full({ stock: 5 + delta });
      },
    });
    const form = await productForm('Oak Stool');
    const stock = within(form).getByLabelText('Stock');
    await userEvent.clear(stock);
    await userEvent.type(stock, '12');
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await within(form).findByText(/€49\.99 · 12 in stock/);
    expect(deltas).toEqual([7]);
  });

  it.each([
    ['12.345', 'Price (EUR)'],
    ['abc', 'Price (EUR)'],
    ['-1', 'Price (EUR)'],
    ['1.5', 'Stock'],
    ['-2', 'Stock'],
  ])('refuses %s as %s inline and sends nothing', async (value, label) => {
    let calls = 0;
    const count = () => {
      calls++;
      return full();
    };
    openStaff({ 'catalog.product': count, 'admin.product.upsert': count, 'admin.product.adjustStock': count });
    const form = await productForm('Oak Stool');
    const input = within(form).getByLabelText(label);
    await userEvent.clear(input);
    await userEvent.type(input, value);
    await userEvent.click(within(form).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = input.getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toMatch(/price such as 12\.34|whole number/);
    expect(calls).toBe(0);
  });

  it('moves an order to a next status the server allows and updates the row', async () => {
    const moves: { id: string; status: OrderStatus }[] = [];
    openStaff({
      'admin.order.list': () => ({ items: [order(1), order(2, { status: 'delivered' })], nextCursor: null }),
      'admin.order.setStatus': (input) => {
        moves.push(input);
        return order(1, { status: input.status });
      },
    });
    const row = await screen.findByRole('article', { name: 'Order 100001' });
    expect(within(row).getByText('placed')).toBeTruthy();
    // Only the moves the state machine allows are offered.
    expect(
      within(row)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Mark shipped', 'Cancel order']);
    expect(within(screen.getByRole('article', { name: 'Order 100002' })).queryAllByRole('button')).toHaveLength(0);

    await userEvent.click(within(row).getByRole('button', { name: 'Mark shipped' }));
    await within(row).findByText('shipped');
    expect(moves).toEqual([{ id: order(1).id, status: 'shipped' }]);
    expect(
      within(row)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['Mark delivered']);
  });

  it('reports a refused move in a toast and shows the order as the server has it', async () => {
    let listed = 0;
    openStaff({
      // The second listing is the refetch after the refusal: someone else cancelled it meanwhile.
      'admin.order.list': () => ({ items: [order(1, { status: listed++ === 0 ? 'placed' : 'cancelled' })], nextCursor: null }),
      'admin.order.setStatus': () => new TrpcFailure('CONFLICT', 'an order that is cancelled cannot become shipped', 409),
    });
    const row = await screen.findByRole('article', { name: 'Order 100001' });
    await userEvent.click(within(row).getByRole('button', { name: 'Mark shipped' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Could not move order 100001 to shipped: an order that is cancelled/);
    await within(row).findByText('cancelled');
    expect(within(row).queryAllByRole('button')).toHaveLength(0);
  });

  it('enrols a second factor: QR code and secret, a code to confirm, then the recovery codes once', async () => {
    let enrolled = false;
    const enables: unknown[] = [];
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    openStaff({
      'auth.me': () => ({ ...STAFF, mfa: enrolled }),
      'auth.mfa.setup': () => ({ secret, otpauthUri: `otpauth://totp/Shop:kim%40shop.test?secret=${secret}&issuer=Shop` }),
      'auth.mfa.enable': (input) => {
        enables.push(input);
        enrolled = true;
        return { recoveryCodes: ['aaaa-bbbb-cccc-dddd', 'eeee-ffff-gggg-hhhh'] };
      },
    });
    const panel = await screen.findByRole('region', { name: 'Second factor' });
    await userEvent.click(within(panel).getByRole('button', { name: 'Set up two-step sign-in' }));
    expect(await within(panel).findByRole('img', { name: 'QR code for your authenticator app' })).toBeTruthy();
    expect(within(panel).getByText(secret)).toBeTruthy();
    await userEvent.type(within(panel).getByLabelText('Code from the app'), '654321');
    await userEvent.click(within(panel).getByRole('button', { name: 'Turn on' }));
    const codes = await within(panel).findByRole('list', { name: 'Recovery codes' });
    expect(
      within(codes)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['aaaa-bbbb-cccc-dddd', 'eeee-ffff-gggg-hhhh']);
    expect(enables).toEqual([{ code: '654321' }]);
    await userEvent.click(within(panel).getByRole('button', { name: 'I have saved them' }));
    expect(within(panel).queryByRole('list', { name: 'Recovery codes' })).toBeNull();
    expect(await within(panel).findByRole('form', { name: 'Turn off two-step sign-in' })).toBeTruthy();
  });

  it('turns the second factor off with a code, and shows a refused code', async () => {
    let enrolled = true;
    openStaff({
      'auth.me': () => ({ ...STAFF, mfa: enrolled }),
      'auth.mfa.disable': ({ code }) => {
        if (code !== '111111') return new TrpcFailure('BAD_REQUEST', 'that code is not valid', 400);
        enrolled = false;
        return { ok: true as const };
      },
    });
    const form = await screen.findByRole('form', { name: 'Turn off two-step sign-in' });
    await userEvent.type(within(form).getByLabelText('Code or recovery code'), '222222');
    await userEvent.click(within(form).getByRole('button', { name: 'Turn off' }));
    expect((await screen.findByRole('alert')).textContent).toBe('that code is not valid');
    await userEvent.clear(within(form).getByLabelText('Code or recovery code'));
    await userEvent.type(within(form).getByLabelText('Code or recovery code'), '111111');
    await userEvent.click(within(form).getByRole('button', { name: 'Turn off' }));
    expect(await screen.findByRole('button', { name: 'Set up two-step sign-in' })).toBeTruthy();
  });
});
