// The order e-mails: subject, plain text and HTML, rendered from the order as the contract shapes
// it. Every string a user typed (names, the address) or staff typed (product names) reaches the
// HTML only through `html`, which escapes it.
import type { EmailKind } from '@shop/db';
import { type Address, type Order, type OrderLine, optionsLabel } from '@shop/schemas';
import { formatMoney } from '../money.ts';
import { html } from './html.ts';

export interface Recipient {
  email: string;
  name: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const WORDING: Record<EmailKind, { subject: (n: number) => string; intro: string }> = {
  order_placed: {
    subject: (n) => `Your order #${n} is confirmed`,
    intro: 'Thank you for your order. We have received it and will write again when it ships.',
  },
  order_shipped: {
    subject: (n) => `Your order #${n} has shipped`,
    intro: 'Good news: your order is on its way to the address below.',
  },
  order_delivered: {
    subject: (n) => `Your order #${n} was delivered`,
    intro: 'Your order has been delivered. We hope you enjoy it.',
  },
  order_cancelled: {
    subject: (n) => `Your order #${n} was cancelled`,
    intro: 'Your order has been cancelled as requested; nothing from it will be sent.',
  },
};

const countries = new Intl.DisplayNames(['en'], { type: 'region' });
const dates = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

/** "Wool Sweater (M / Sage)": the product and the variant's options, as ordered. */
function lineName(line: OrderLine): string {
  const options = optionsLabel(line.options);
  return options ? `${line.name} (${options})` : line.name;
}

function addressLines(a: Address): string[] {
  const country = countries.of(a.country) ?? a.country;
  return [a.name, a.line1, a.line2, `${a.postalCode} ${a.city}`, country].filter((l): l is string => Boolean(l));
}

export function renderOrderMail(kind: EmailKind, order: Order, to: Recipient): RenderedMail {
  const wording = WORDING[kind];
  const money = (cents: number) => formatMoney(cents, order.currency);
  const placedOn = dates.format(new Date(order.createdAt));
  const subject = wording.subject(order.number);
  const address = addressLines(order.shippingAddress);

  const text = [
    `Hello ${to.name},`,
    '',
    wording.intro,
    '',
    `Order #${order.number}, placed on ${placedOn}`,
    '',
    ...order.lines.map((l) => `${l.quantity} × ${lineName(l)} at ${money(l.unitPriceCents)}: ${money(l.lineTotalCents)}`),
    '',
    ...(order.code === null ? [] : [`Subtotal: ${money(order.subtotalCents)}`, `Discount (${order.code}): −${money(order.discountCents)}`]),
    `Total: ${money(order.totalCents)}`,
    '',
    'Shipping to:',
    ...address.map((l) => `  ${l}`),
    '',
  ].join('\n');

  const cell = 'padding:4px 8px;border-bottom:1px solid #ddd';
  const body = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family:sans-serif;color:#222">
<p>Hello ${to.name},</p>
<p>${wording.intro}</p>
<h1 style="font-size:1.2em">Order #${order.number}</h1>
<p>Placed on ${placedOn}</p>
<table style="border-collapse:collapse">
<thead><tr><th style="${cell};text-align:left">Item</th><th style="${cell}">Quantity</th><th style="${cell}">Price</th><th style="${cell}">Total</th></tr></thead>
<tbody>
${order.lines.map(
  (l) =>
    html`<tr><td style="${cell}">${lineName(l)}</td><td style="${cell};text-align:right">${l.quantity}</td><td style="${cell};text-align:right">${money(l.unitPriceCents)}</td><td style="${cell};text-align:right">${money(l.lineTotalCents)}</td></tr>
`,
)}</tbody>
<tfoot>${
    order.code === null
      ? null
      : html`<tr><td style="${cell}" colspan="3">Subtotal</td><td style="${cell};text-align:right">${money(order.subtotalCents)}</td></tr>
<tr><td style="${cell}" colspan="3">Discount (${order.code})</td><td style="${cell};text-align:right">−${money(order.discountCents)}</td></tr>
`
  }<tr><th style="${cell};text-align:left" colspan="3">Total</th><th style="${cell};text-align:right">${money(order.totalCents)}</th></tr></tfoot>
</table>
<h2 style="font-size:1em">Shipping to</h2>
<p>${address.map((l, i) => (i === 0 ? html`${l}` : html`<br>${l}`))}</p>
</body>
</html>
`;
  return { subject, text, html: body.markup };
}
