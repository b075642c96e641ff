import { z } from 'zod';
import { productIdSchema, variantIdSchema } from './cart.ts';
import type { ProductSummary } from './catalog.ts';

export const wishlistItemInput = z.strictObject({ productId: productIdSchema, variantId: variantIdSchema.optional() });
export type WishlistItemInput = z.infer<typeof wishlistItemInput>;

/** A wished product, with the variant the shopper had picked when one was named (and still exists). */
export interface WishlistItem extends ProductSummary {
  variantId?: number;
}
