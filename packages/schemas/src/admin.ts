import { z } from 'zod';
import { productIdSchema, variantIdSchema } from './cart.ts';
import { optionsLabel, type VariantOptions } from './catalog.ts';
import { cursorSchema, pageLimit, priceCentsSchema, slugSchema, storedText } from './common.ts';
import { ORDER_STATUSES, orderIdSchema } from './orders.ts';

export const MAX_STOCK = 1_000_000;

/** Most options a product may have (Size, Colour, Material), values per option, and variants. */
export const MAX_PRODUCT_OPTIONS = 3;
export const MAX_OPTION_VALUES = 20;
export const MAX_VARIANTS = 100;

const optionText = () => storedText().trim().min(1).max(40);

export const skuSchema = z
  .string()
  .min(1)
  .max(160)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a SKU is letters, digits, dots, hyphens and underscores');

export const productOptionInput = z.strictObject({
  name: optionText(),
  values: z.array(optionText()).min(1).max(MAX_OPTION_VALUES),
});

export const variantInput = z.strictObject({
  id: variantIdSchema.optional(),
  sku: skuSchema,
  options: z.record(optionText(), optionText()),
  priceCents: priceCentsSchema,
  /**
   * Needed for a new variant. Left out for an existing one (with `id`), its stock stays as it is:
   * staff change it with `admin.product.adjustStock`, relative to what orders left.
   */
  stock: z.number().int().min(0).max(MAX_STOCK).optional(),
});
export type VariantInput = z.infer<typeof variantInput>;

const duplicates = (values: readonly string[]) => values.filter((v, i) => values.indexOf(v) !== i);

export const adminProductUpsertInput = z
  .strictObject({
    id: productIdSchema.optional(),
    slug: slugSchema,
    name: storedText().trim().min(1).max(200),
    description: storedText().trim().max(5_000),
    priceCents: priceCentsSchema,
    categorySlug: slugSchema,
    imageUrl: storedText()
      .trim()
      .max(500)
      .regex(/^(https:\/\/|\/)[^\s"'<>]*$/, 'an https:// URL or a path on this site')
      .optional(),
    stock: z.number().int().min(0).max(MAX_STOCK).optional(),
    /** With `variants` only; left out, the product has none. */
    options: z.array(productOptionInput).max(MAX_PRODUCT_OPTIONS).optional(),
    /**
     * Every variant the product is to have: listed ids are updated, new ones (no id) created, others
     * removed. Left out, the product keeps one variant with `priceCents` and `stock` (it must have
     * only one). Given, `priceCents` and `stock` are ignored: the product's are its variants'.
     */
    variants: z.array(variantInput).min(1).max(MAX_VARIANTS).optional(),
  })
  .superRefine((input, ctx) => {
    const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });
    const options = input.options ?? [];
    if (input.options && !input.variants) issue('options come with the variants that combine them', ['options']);
    for (const name of duplicates(options.map((o) => o.name))) issue(`option ${name} is listed twice`, ['options']);
    options.forEach((o, i) => {
      for (const value of duplicates(o.values)) issue(`${o.name} lists ${value} twice`, ['options', i, 'values']);
    });
    if (!input.variants) return;
    const variants = input.variants;
    variants.forEach((v, i) => {
      if (v.id === undefined && v.stock === undefined) issue('a new variant needs its stock', ['variants', i, 'stock']);
      const keys = Object.keys(v.options);
      const valid =
        keys.length === options.length &&
        options.every((o) => v.options[o.name] !== undefined && o.values.includes(v.options[o.name] as string));
      if (!valid) {
        const wanted = options.length ? options.map((o) => o.name).join(', ') : 'none';
        issue(`a variant needs one value of each option (${wanted}), from that option's values`, ['variants', i, 'options']);
      }
    });
    // Compared in option order, whatever order the client's object keys came in, as JSON: values
    // may contain any separator a label would use.
    const combinations = variants.map((v) => JSON.stringify(options.map((o) => v.options[o.name] ?? '')));
    for (const combination of duplicates(combinations)) {
      const values = JSON.parse(combination) as string[];
      const label = optionsLabel(Object.fromEntries(options.map((o, i) => [o.name, values[i] ?? ''])));
      issue(`two variants are both ${label || 'without options'}`, ['variants']);
    }
    for (const sku of duplicates(variants.map((v) => v.sku))) issue(`SKU ${sku} is listed twice`, ['variants']);
    const ids = variants.flatMap((v) => (v.id === undefined ? [] : [String(v.id)]));
    for (const id of duplicates(ids)) issue(`variant ${id} is listed twice`, ['variants']);
  });
export type AdminProductUpsertInput = z.infer<typeof adminProductUpsertInput>;

export const adminAdjustStockInput = z.strictObject({
  productId: productIdSchema,
  /** Needed for a product with several variants. */
  variantId: variantIdSchema.optional(),
  delta: z
    .number()
    .int()
    .min(-MAX_STOCK)
    .max(MAX_STOCK)
    .refine((d) => d !== 0, 'delta must not be 0'),
});
export type AdminAdjustStockInput = z.infer<typeof adminAdjustStockInput>;

export const adminOrderListInput = z
  .strictObject({
    status: z.enum(ORDER_STATUSES).optional(),
    cursor: cursorSchema.optional(),
    limit: pageLimit(20),
    direction: z.enum(['forward', 'backward']).optional(),
  })
  .prefault({});
export type AdminOrderListInput = z.infer<typeof adminOrderListInput>;

export const adminSetStatusInput = z.strictObject({ id: orderIdSchema, status: z.enum(ORDER_STATUSES) });
export type AdminSetStatusInput = z.infer<typeof adminSetStatusInput>;

/** A variant at or below this stock is listed as low on the staff dashboard (see `StaffStats`). */
export const LOW_STOCK_THRESHOLD = 5;
/** How many low-stock variants the dashboard lists, lowest stock first. */
export const LOW_STOCK_LIMIT = 10;
/** The orders-per-minute chart's span. */
export const STATS_MINUTES = 60;

export interface OrdersInMinute {
  /** ISO-8601, UTC: the minute's start. */
  minute: string;
  count: number;
}

export interface LowStockItem {
  productId: number;
  variantId: number;
  /** The product's name. */
  name: string;
  /** The variant's options (`{}` for a product without options). */
  options: VariantOptions;
  stock: number;
}

/**
 * `admin.stats.onUpdate`: the shop's day so far, the same from every instance. "Today" is the
 * UTC day; cancelled orders count in neither the orders nor the revenue.
 */
export interface StaffStats {
  /** ISO-8601, UTC: when the figures were read (the database's clock). */
  at: string;
  ordersToday: number;
  revenueTodayCents: number;
  /** The last `STATS_MINUTES` minutes, oldest first, the current (partial) minute last; zeros included. */
  ordersPerMinute: OrdersInMinute[];
  /** Open WebSockets over every live instance (a tab with a live page open holds one), staff dashboards' aside. */
  shoppersOnline: number;
  /** At most `LOW_STOCK_LIMIT` variants with stock ≤ `LOW_STOCK_THRESHOLD`, lowest first, then by variant id. */
  lowStock: LowStockItem[];
}
