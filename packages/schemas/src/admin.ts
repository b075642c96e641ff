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
