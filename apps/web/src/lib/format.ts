const formatters = new Map<string, Intl.NumberFormat>();

/** Integer minor units to a localised price: 1999 EUR → €19.99. */
export function formatPrice(cents: number, currency: string): string {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    formatters.set(currency, formatter);
  }
  return formatter.format(cents / 100);
}
