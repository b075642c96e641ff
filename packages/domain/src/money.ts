/** One formatter per currency: building an Intl.NumberFormat costs far more than formatting with one. */
const formats = new Map<string, { format: Intl.NumberFormat; decimals: number }>();

/** Integer minor units in the currency's own number of decimals: 1999 EUR → €19.99, 1999 JPY → ¥1,999. */
export function formatMoney(minorUnits: number, currency: string): string {
  let entry = formats.get(currency);
  if (!entry) {
    const format = new Intl.NumberFormat('en', { style: 'currency', currency });
    entry = { format, decimals: format.resolvedOptions().maximumFractionDigits ?? 2 };
    formats.set(currency, entry);
  }
  return entry.format.format(minorUnits / 10 ** entry.decimals);
}
