// Prices typed by people, in currency units, to the API's integer cents and back. No import from
// @shop/schemas: the catalog page uses this, and the schemas' zod would join the first page load.

/** "12.34" (or "12,34", "12") in currency units to integer cents, exactly (no floating point); null otherwise. */
export function parseCents(text: string): number | null {
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

/** Integer cents back to what a price field shows: 1234 → "12.34". */
export function centsToInput(cents: number): string {
  return `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
