import type { Order } from '@shop/schemas';
import { describe, expect, it } from 'vitest';
import { formatMoney } from '../money.ts';
import { escapeHtml, html } from './html.ts';
import { renderOrderMail } from './order-mail.ts';

const HOSTILE = '<script>alert("x")</script> & Co';

const order: Order = {
  id: '00000000-0000-4000-8000-000000000001',
  number: 100_042,
  status: 'placed',
  createdAt: '2026-12-07T10:11:12.000Z',
  lines: [
    {
      productId: 1,
      variantId: 11,
      sku: 'h-1',
      options: { Size: HOSTILE },
      name: HOSTILE,
      unitPriceCents: 1_250,
      quantity: 2,
      lineTotalCents: 2_500,
    },
    { productId: 2, variantId: 12, sku: 'blue-mug', options: {}, name: 'Blue Mug', unitPriceCents: 399, quantity: 1, lineTotalCents: 399 },
  ],
  code: null,
  subtotalCents: 2_899,
  discountCents: 0,
  totalCents: 2_899,
  currency: 'EUR',
  shippingAddress: { name: `Ada ${HOSTILE}`, line1: '12 <b>Analytical</b> St', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
};

describe('formatMoney', () => {
  it('formats integer minor units in the currency’s own decimals', () => {
    expect(formatMoney(1_999, 'EUR')).toBe('€19.99');
    expect(formatMoney(5, 'EUR')).toBe('€0.05');
    expect(formatMoney(123_456_789, 'USD')).toBe('$1,234,567.89');
    expect(formatMoney(1_999, 'JPY')).toBe('¥1,999');
    expect(formatMoney(1_999, 'KWD')).toMatch(/^KWD\s1\.999$/);
  });
});

describe('html', () => {
  it('escapes every interpolation but its own fragments', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<i>${'<b>'}</i>`;
    expect(html`<p>${inner}${['<', html`<br>`]}${null}${3}</p>`.markup).toBe('<p><i>&lt;b&gt;</i>&lt;<br>3</p>');
  });
});

describe('renderOrderMail', () => {
  const mail = renderOrderMail('order_placed', order, { email: 'ada@example.test', name: `Ada ${HOSTILE}` });

  it('escapes every user-provided string in the HTML part', () => {
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>Analytical');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    expect(mail.html).toContain('12 &lt;b&gt;Analytical&lt;/b&gt; St');
    // Only the template's own tags remain.
    const tags = new Set([...mail.html.matchAll(/<\/?([a-z0-9!]+)/gi)].map((m) => m[1]?.toLowerCase()));
    expect([...tags].sort()).toEqual([
      '!doctype',
      'body',
      'br',
      'h1',
      'h2',
      'head',
      'html',
      'meta',
      'p',
      'table',
      'tbody',
      'td',
      'tfoot',
      'th',
      'thead',
      'title',
      'tr',
    ]);
  });

  it('lists the lines and the total in the order’s currency, in both parts', () => {
    expect(mail.subject).toBe('Your order #100042 is confirmed');
    expect(mail.text).toContain(`2 × ${HOSTILE} (${HOSTILE}) at €12.50: €25.00`);
    expect(mail.text).toContain('1 × Blue Mug at €3.99: €3.99');
    expect(mail.text).toContain('Total: €28.99');
    expect(mail.text).toContain('placed on 7 December 2026');
    expect(mail.text).toContain('  United Kingdom');
    for (const amount of ['€12.50', '€25.00', '€3.99', '€28.99']) expect(mail.html).toContain(amount);
  });

  it('shows the subtotal and the code’s discount above the total of a discounted order', () => {
    const discounted = { ...order, code: 'SPRING-20', discountCents: 580, totalCents: 2_319 };
    const mail = renderOrderMail('order_placed', discounted, { email: 'ada@example.test', name: 'Ada' });
    expect(mail.text).toContain('Subtotal: €28.99\nDiscount (SPRING-20): −€5.80\nTotal: €23.19');
    expect(mail.html).toMatch(
      /Subtotal<\/td><td[^>]*>€28\.99<.*Discount \(SPRING-20\)<\/td><td[^>]*>−€5\.80<.*Total<\/th><th[^>]*>€23\.19</s,
    );
    expect(renderOrderMail('order_placed', order, { email: 'ada@example.test', name: 'Ada' }).text).not.toContain('Discount');
  });

  it('says what happened for each kind', () => {
    const to = { email: 'a@example.test', name: 'A' };
    expect(renderOrderMail('order_shipped', order, to).subject).toBe('Your order #100042 has shipped');
    expect(renderOrderMail('order_delivered', order, to).subject).toBe('Your order #100042 was delivered');
    expect(renderOrderMail('order_cancelled', order, to).text).toContain('has been cancelled');
  });
});
