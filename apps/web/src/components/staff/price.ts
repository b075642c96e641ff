import { MAX_PRICE_CENTS, MAX_STOCK } from '@shop/schemas';
import { centsToInput, parseCents } from '../../lib/price.ts';

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

/** A price field's text to integer cents, within what the API accepts. */
export function parsePrice(text: string): Parsed {
  const cents = parseCents(text);
  if (cents === null) return { ok: false, error: 'Enter a price such as 12.34 (at most two decimals).' };
  if (cents > MAX_PRICE_CENTS) return { ok: false, error: `At most ${centsToInput(MAX_PRICE_CENTS)}.` };
  return { ok: true, value: cents };
}

export function parseStock(text: string): Parsed {
  if (!/^\d{1,9}$/.test(text.trim())) return { ok: false, error: 'Enter a whole number, 0 or more.' };
  const stock = Number(text.trim());
  if (stock > MAX_STOCK) return { ok: false, error: `At most ${MAX_STOCK}.` };
  return { ok: true, value: stock };
}
