import { MAX_PRICE_CENTS, MAX_STOCK } from '@shop/schemas';

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

/** "12.34" (or "12,34") in currency units to integer cents, exactly: no floating point on the way. */
export function parsePrice(text: string): Parsed {
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return { ok: false, error: 'Enter a price such as 12.34 (at most two decimals).' };
  const cents = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (cents > MAX_PRICE_CENTS) return { ok: false, error: `At most ${centsToInput(MAX_PRICE_CENTS)}.` };
  return { ok: true, value: cents };
}

/** Integer cents back to what the price field shows: 1234 → "12.34". */
export function centsToInput(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function parseStock(text: string): Parsed {
  if (!/^\d{1,9}$/.test(text.trim())) return { ok: false, error: 'Enter a whole number, 0 or more.' };
  const stock = Number(text.trim());
  if (stock > MAX_STOCK) return { ok: false, error: `At most ${MAX_STOCK}.` };
  return { ok: true, value: stock };
}
