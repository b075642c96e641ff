/** Integer minor units in the currency's own number of decimals: 1999 EUR → €19.99, 1999 JPY → ¥1,999. */
export function formatMoney(minorUnits: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency });
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** decimals);
}
