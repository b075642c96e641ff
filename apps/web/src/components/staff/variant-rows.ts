import type { Product, ProductOption, VariantInput, VariantOptions } from '@shop/schemas';
import { centsToInput } from '../../lib/price.ts';
import { type Parsed, parsePrice, parseStock } from './price.ts';

/** One row of the variants form: a combination of option values, offered or not, with its fields' text. */
export interface VariantRow {
  /** The variant's id once it exists. */
  id?: number;
  /** An existing variant's stock as loaded: a change is sent relative to it (see `parseRows`). */
  seenStock?: number;
  options: VariantOptions;
  offered: boolean;
  sku: string;
  price: string;
  stock: string;
}

/** An option's fields' text: its name, and its values as typed ("S, M, L"). */
export interface OptionDraft {
  name: string;
  values: string;
}

export const optionValues = (draft: OptionDraft): string[] => [
  ...new Set(
    draft.values
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ),
];

/** The options the drafts name, leaving out those without a name or values. */
export function draftOptions(drafts: OptionDraft[]): ProductOption[] {
  return drafts.map((d) => ({ name: d.name.trim(), values: optionValues(d) })).filter((o) => o.name && o.values.length > 0);
}

const key = (options: VariantOptions, names: string[]) => names.map((n) => options[n] ?? '').join('\u0000');
const skuPart = (value: string) =>
  value
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * Every combination of the options' values, in option order, each with its variant's fields when
 * one exists (from `previous` rows first, so typing is kept, then from the product); a new
 * combination is not offered until staff tick it, priced as the product's cheapest.
 */
export function combinationRows(product: Product, options: ProductOption[], previous: VariantRow[]): VariantRow[] {
  const names = options.map((o) => o.name);
  let combinations: VariantOptions[] = [{}];
  for (const option of options) combinations = combinations.flatMap((c) => option.values.map((v) => ({ ...c, [option.name]: v })));
  return combinations.map((options) => {
    const k = key(options, names);
    const kept = previous.find((r) => key(r.options, names) === k && Object.keys(r.options).length === names.length);
    if (kept) return { ...kept, options };
    const existing = product.variants.find((v) => key(v.options, names) === k && Object.keys(v.options).length === names.length);
    if (existing) {
      return {
        id: existing.id,
        seenStock: existing.stock,
        options,
        offered: true,
        sku: existing.sku,
        price: centsToInput(existing.priceCents),
        stock: String(existing.stock),
      };
    }
    const suffix = names.map((n) => skuPart(options[n] ?? '')).join('-');
    return {
      options,
      offered: names.length === 0,
      sku: suffix ? `${product.slug.toUpperCase()}-${suffix}` : product.slug,
      price: centsToInput(product.priceCents),
      stock: '0',
    };
  });
}

export type RowErrors = { price?: string; stock?: string };

/** A change to an existing variant's stock, relative to what staff saw (admin.product.adjustStock). */
export interface StockChange {
  variantId: number;
  delta: number;
}

/**
 * The upsert's variants from the offered rows, or each row's problems. Only a new variant carries
 * its stock: an existing one's may have changed since the form loaded (orders), so the upsert
 * leaves it alone and a change staff typed goes as a difference from what they saw.
 */
export function parseRows(
  rows: VariantRow[],
): { ok: true; variants: VariantInput[]; stockChanges: StockChange[] } | { ok: false; errors: RowErrors[] } {
  const errors: RowErrors[] = [];
  const variants: VariantInput[] = [];
  const stockChanges: StockChange[] = [];
  rows.forEach((row, i) => {
    if (!row.offered) return;
    const price: Parsed = parsePrice(row.price);
    const stock: Parsed = parseStock(row.stock);
    if (!price.ok || !stock.ok) {
      errors[i] = { ...(price.ok ? {} : { price: price.error }), ...(stock.ok ? {} : { stock: stock.error }) };
      return;
    }
    const variant = { sku: row.sku.trim(), options: row.options, priceCents: price.value };
    if (row.id === undefined) {
      variants.push({ ...variant, stock: stock.value });
      return;
    }
    variants.push({ id: row.id, ...variant });
    const delta = stock.value - (row.seenStock ?? stock.value);
    if (delta !== 0) stockChanges.push({ variantId: row.id, delta });
  });
  return errors.length ? { ok: false, errors } : { ok: true, variants, stockChanges };
}
