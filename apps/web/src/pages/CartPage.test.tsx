import type { Cart } from '@shop/schemas';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { cart, cartLine } from '../test/fixtures.ts';
import { type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

// Two of product 3 at €10.03: €20.06.
const PLAIN = cart([cartLine(3, 2)]);
const WITH_CODE = cart(PLAIN.lines, { code: 'SPRING-20', discountCents: 401 });

function openCart(first: Cart, resolvers: Resolvers = {}) {
  server.use(...trpc({ 'cart.get': () => first, ...resolvers }));
  return renderApp('/cart');
}

const amountOf = (term: string) => screen.getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;

describe('CartPage promotion code', () => {
  it('applies a code as typed (the server matches any case) and shows the discount and the total', async () => {
    const applied: unknown[] = [];
    openCart(PLAIN, {
      'cart.applyCode': (input) => {
        applied.push(input);
        return WITH_CODE;
      },
    });
    expect(await screen.findByText('Subtotal')).toBeTruthy();
    expect(screen.queryByText(/^Discount/)).toBeNull();
    await userEvent.type(screen.getByLabelText('Promotion code'), ' spring-20 ');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((await screen.findByText('SPRING-20', { selector: 'strong' })).parentElement?.textContent).toMatch(/^Code SPRING-20 applied\./);
    expect(applied).toEqual([{ code: 'SPRING-20' }]);
    expect(amountOf('Subtotal')).toBe('€20.06');
    expect(amountOf('Discount (SPRING-20)')).toBe('−€4.01');
    expect(amountOf('Total')).toBe('€16.05');
  });

  it('shows why the server refused a code, and keeps the field', async () => {
    openCart(PLAIN, { 'cart.applyCode': () => new TrpcFailure('NOT_FOUND', 'the code OLDCODE has expired', 404) });
    await userEvent.type(await screen.findByLabelText('Promotion code'), 'oldcode');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((await screen.findByRole('alert')).textContent).toBe('the code OLDCODE has expired');
    expect(screen.getByLabelText('Promotion code').getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByLabelText('Promotion code') as HTMLInputElement).value).toBe('oldcode');
    expect(amountOf('Total')).toBe('€20.06');
  });

  it('explains a code that cannot be one without asking the server', async () => {
    let calls = 0;
    openCart(PLAIN, {
      'cart.applyCode': () => {
        calls++;
        return WITH_CODE;
      },
    });
    await userEvent.type(await screen.findByLabelText('Promotion code'), 'two words');
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/3 to 32 letters or digits/);
    await userEvent.clear(screen.getByLabelText('Promotion code'));
    await userEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Enter a code.');
    expect(calls).toBe(0);
  });

  it('removes the code', async () => {
    let removed = 0;
    openCart(WITH_CODE, {
      'cart.removeCode': () => {
        removed++;
        return PLAIN;
      },
    });
    await userEvent.click(await screen.findByRole('button', { name: /^Remove\s*code SPRING-20$/ }));
    expect(await screen.findByLabelText('Promotion code')).toBeTruthy();
    expect(removed).toBe(1);
    expect(amountOf('Total')).toBe('€20.06');
  });

  it('says how much more a code needs when the cart fell below its minimum', async () => {
    openCart(cart(PLAIN.lines, { code: 'BIGBASKET', codeProblem: { reason: 'BELOW_MINIMUM', minSubtotalCents: 5_000 } }));
    const note = await screen.findByText(/^Add €29\.94 more to use BIGBASKET \(it needs €50\.00\)/);
    expect(note.getAttribute('role')).toBe('status');
    expect(amountOf('Discount (BIGBASKET)')).toBe('−€0.00');
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Check out' })).toBeTruthy();
  });
});
