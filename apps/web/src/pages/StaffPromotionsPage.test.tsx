import type { Promotion } from '@shop/schemas';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SHOPPER, STAFF } from '../test/fixtures.ts';
import { type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

function promotion(id: number, overrides: Partial<Promotion> = {}): Promotion {
  return {
    id,
    code: `CODE${id}`,
    kind: 'percent',
    value: 10,
    minSubtotalCents: 0,
    startsAt: null,
    endsAt: null,
    usageLimit: null,
    usedCount: 0,
    active: true,
    ...overrides,
  };
}

function openPromotions(resolvers: Resolvers) {
  server.use(...trpc({ 'auth.me': () => STAFF, 'admin.promotion.list': () => [], ...resolvers }));
  return renderApp('/staff/promotions');
}

const form = () => screen.findByRole('form', { name: 'New code' });

describe('StaffPromotionsPage', () => {
  it('tells a shopper they are not allowed, asking the server nothing', async () => {
    let listed = 0;
    server.use(
      ...trpc({
        'auth.me': () => SHOPPER,
        'admin.promotion.list': () => {
          listed++;
          return [];
        },
      }),
    );
    renderApp('/staff/promotions');
    expect((await screen.findByRole('heading', { level: 1 })).textContent).toBe('Not allowed');
    expect(listed).toBe(0);
  });

  it('lists the codes: what they take off, their uses and where they stand', async () => {
    openPromotions({
      'admin.promotion.list': () => [
        promotion(1, { code: 'SPRING-20', value: 20, usageLimit: 100, usedCount: 7 }),
        promotion(2, { code: 'FIVEOFF', kind: 'fixed', value: 500, minSubtotalCents: 2_500, active: false }),
        promotion(3, { code: 'GONE', endsAt: '2020-01-01T00:00:00.000Z' }),
        promotion(4, { code: 'ALLUSED', usageLimit: 3, usedCount: 3 }),
      ],
    });
    await screen.findByText('SPRING-20', { selector: 'strong' });
    const row = (code: string) => screen.getByText(code, { selector: 'strong' }).closest('article') as HTMLElement;
    expect(row('SPRING-20').textContent).toMatch(/Active.*20% off.*Used 7 of 100/);
    expect(row('FIVEOFF').textContent).toMatch(/Disabled.*€5\.00 off on €25\.00 or more.*Used 0 times, no limit/);
    expect(row('GONE').textContent).toMatch(/Expired/);
    expect(row('ALLUSED').textContent).toMatch(/Used up/);
    expect(within(row('FIVEOFF')).getByRole('button').textContent).toMatch(/^Enable/);
  });

  it('creates a percentage code with a limit and an end, and lists it', async () => {
    const created: unknown[] = [];
    let codes: Promotion[] = [];
    openPromotions({
      'admin.promotion.list': () => codes,
      'admin.promotion.upsert': (input) => {
        created.push(input);
        const saved = promotion(9, { ...input, usageLimit: input.usageLimit ?? null, endsAt: input.endsAt ?? null });
        codes = [saved];
        return saved;
      },
    });
    const f = await form();
    await userEvent.type(within(f).getByLabelText('Code'), 'winter-10');
    await userEvent.type(within(f).getByLabelText('Percent'), '10');
    await userEvent.type(within(f).getByLabelText('Usage limit (optional)'), '100');
    await userEvent.type(within(f).getByLabelText('Ends (optional)'), '2027-01-31T18:00');
    await userEvent.click(within(f).getByRole('button', { name: 'Create code' }));
    expect((await within(f).findByRole('status')).textContent).toBe('Created WINTER-10.');
    expect(created).toEqual([
      { code: 'WINTER-10', kind: 'percent', value: 10, usageLimit: 100, endsAt: new Date('2027-01-31T18:00').toISOString() },
    ]);
    expect(await screen.findByRole('article', { name: 'WINTER-10' })).toBeTruthy();
    expect((within(f).getByLabelText('Code') as HTMLInputElement).value).toBe('');
  });

  it('sends an amount and a minimum in exact cents', async () => {
    const created: unknown[] = [];
    openPromotions({
      'admin.promotion.upsert': (input) => {
        created.push(input);
        return promotion(5, input);
      },
    });
    const f = await form();
    await userEvent.type(within(f).getByLabelText('Code'), 'FIVEFIFTY');
    await userEvent.selectOptions(within(f).getByLabelText('Kind'), 'Amount off');
    await userEvent.type(within(f).getByLabelText('Amount (EUR)'), '5.50');
    await userEvent.type(within(f).getByLabelText('Minimum subtotal (EUR, optional)'), '20');
    await userEvent.click(within(f).getByRole('button', { name: 'Create code' }));
    await waitFor(() => expect(created).toEqual([{ code: 'FIVEFIFTY', kind: 'fixed', value: 550, minSubtotalCents: 2_000 }]));
  });

  it.each([
    ['Percent', '150', /at most 100/],
    ['Percent', '7.5', /whole percentage/],
    ['Code', 'two words', /letters, digits/],
    ['Usage limit (optional)', 'many', /whole number of uses/],
  ])('refuses %s "%s" inline and sends nothing', async (label, value, message) => {
    let calls = 0;
    openPromotions({
      'admin.promotion.upsert': (input) => {
        calls++;
        return promotion(1, input);
      },
    });
    const f = await form();
    if (label !== 'Code') await userEvent.type(within(f).getByLabelText('Code'), 'VALID');
    if (label !== 'Percent') await userEvent.type(within(f).getByLabelText('Percent'), '10');
    const input = within(f).getByLabelText(label);
    await userEvent.type(input, value);
    await userEvent.click(within(f).getByRole('button', { name: 'Create code' }));
    await waitFor(() => expect(input.getAttribute('aria-invalid')).toBe('true'));
    expect(document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent).toMatch(message);
    expect(calls).toBe(0);
  });

  it('shows why the server refused a new code', async () => {
    openPromotions({ 'admin.promotion.upsert': () => new TrpcFailure('CONFLICT', 'another promotion has the code TAKEN', 409) });
    const f = await form();
    await userEvent.type(within(f).getByLabelText('Code'), 'taken');
    await userEvent.type(within(f).getByLabelText('Percent'), '5');
    await userEvent.click(within(f).getByRole('button', { name: 'Create code' }));
    expect((await within(f).findByRole('alert')).textContent).toBe('Could not create the code: another promotion has the code TAKEN');
  });

  it('disables a code, keeping everything else about it, and can enable it again', async () => {
    const sent: unknown[] = [];
    const spring = promotion(1, { code: 'SPRING-20', value: 20, usageLimit: 100, usedCount: 7 });
    openPromotions({
      'admin.promotion.list': () => [spring],
      'admin.promotion.upsert': (input) => {
        sent.push(input);
        return { ...spring, active: input.active ?? true };
      },
    });
    const row = await screen.findByRole('article', { name: 'SPRING-20' });
    await userEvent.click(within(row).getByRole('button', { name: /^Disable/ }));
    await within(row).findByText('Disabled');
    await userEvent.click(within(row).getByRole('button', { name: /^Enable/ }));
    await within(row).findByText('Active');
    expect(sent).toEqual([
      { id: 1, code: 'SPRING-20', kind: 'percent', value: 20, active: false },
      { id: 1, code: 'SPRING-20', kind: 'percent', value: 20, active: true },
    ]);
  });
});
