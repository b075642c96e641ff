import { z } from 'zod';
import { productIdSchema } from './cart.ts';
import { cursorSchema, pageLimit, priceCentsSchema, slugSchema, storedText } from './common.ts';
import { ORDER_STATUSES, orderIdSchema } from './orders.ts';

export const MAX_STOCK = 1_000_000;

export const adminProductUpsertInput = z.strictObject({
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
});
export type AdminProductUpsertInput = z.infer<typeof adminProductUpsertInput>;

export const adminAdjustStockInput = z.strictObject({
  productId: productIdSchema,
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

/** A product at or below this stock is listed as low on the staff dashboard (see `StaffStats`). */
export const LOW_STOCK_THRESHOLD = 5;
/** How many low-stock products the dashboard lists, lowest stock first. */
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
  /** Null until products have variants: the stock is the product's own. */
  variantId: number | null;
  name: string;
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
  /** At most `LOW_STOCK_LIMIT` products with stock ≤ `LOW_STOCK_THRESHOLD`, lowest first, then by id. */
  lowStock: LowStockItem[];
}
