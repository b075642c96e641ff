import { z } from 'zod';
import { cursorSchema, pageLimit, priceCentsSchema, slugSchema, storedText } from './common.ts';

export const CATALOG_SORTS = ['relevance', 'price_asc', 'price_desc', 'newest', 'name'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];

export const catalogListInput = z
  .strictObject({
    search: storedText().trim().max(200).optional(),
    category: slugSchema.optional(),
    minPriceCents: priceCentsSchema.optional(),
    maxPriceCents: priceCentsSchema.optional(),
    inStock: z.boolean().optional(),
    sort: z.enum(CATALOG_SORTS).optional(),
    cursor: cursorSchema.optional(),
    limit: pageLimit(24),
    // Sent by tRPC's infinite queries; pages only go forward, so it is accepted and ignored.
    direction: z.enum(['forward', 'backward']).optional(),
  })
  .refine((i) => i.minPriceCents === undefined || i.maxPriceCents === undefined || i.minPriceCents <= i.maxPriceCents, {
    message: 'minPriceCents must not exceed maxPriceCents',
    path: ['minPriceCents'],
  })
  // All fields are optional, so the input itself may be left out.
  .prefault({});
export type CatalogListInput = z.infer<typeof catalogListInput>;

export const catalogProductInput = z.strictObject({ slug: slugSchema });
export type CatalogProductInput = z.infer<typeof catalogProductInput>;

export interface Category {
  id: number;
  slug: string;
  name: string;
  productCount: number;
}

export interface ProductSummary {
  id: number;
  slug: string;
  name: string;
  priceCents: number;
  currency: string;
  imageUrl: string;
  stock: number;
  category: { slug: string; name: string };
}

/** A variant's options: option name → value (`{ Size: 'M' }`); `{}` for a product without options. */
export type VariantOptions = Record<string, string>;

/** What a shopper buys: the product in one combination of its options. */
export interface Variant {
  id: number;
  sku: string;
  options: VariantOptions;
  priceCents: number;
  stock: number;
}

/** One of a product's options, its values in the order the product page offers them. */
export interface ProductOption {
  name: string;
  values: string[];
}

/**
 * A product in full. Its summary's `priceCents` is the lowest variant price and `stock` the sum over
 * its variants. It always has at least one variant; one without options has exactly one, `options: {}`.
 */
export interface Product extends ProductSummary {
  description: string;
  /** ISO-8601, UTC. */
  createdAt: string;
  options: ProductOption[];
  /** In id order. */
  variants: Variant[];
}

/**
 * "M / Sage": a variant's options as one label; '' without options. The values come in the order of
 * the object's keys, which the server sends in the product's option order.
 */
export function optionsLabel(options: VariantOptions): string {
  return Object.values(options).join(' / ');
}
