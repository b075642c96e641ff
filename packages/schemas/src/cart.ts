import { z } from 'zod';
import type { VariantOptions } from './catalog.ts';
import type { CartCodeProblem } from './promotions.ts';

export const productIdSchema = z.number().int().positive().max(2_147_483_647);
/** Optional in cart and wishlist inputs: a product with one variant needs none; one with several does. */
export const variantIdSchema = z.number().int().positive().max(2_147_483_647);
/** Most of one product a cart line may hold. */
export const MAX_LINE_QUANTITY = 99;
/** Most distinct lines (product variants) one cart may hold. */
export const MAX_CART_LINES = 100;

export const cartAddInput = z.strictObject({
  productId: productIdSchema,
  variantId: variantIdSchema.optional(),
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY).default(1),
});
export type CartAddInput = z.infer<typeof cartAddInput>;

export const cartUpdateInput = z.strictObject({
  productId: productIdSchema,
  variantId: variantIdSchema.optional(),
  quantity: z.number().int().min(0).max(MAX_LINE_QUANTITY),
});
export type CartUpdateInput = z.infer<typeof cartUpdateInput>;

export const cartRemoveInput = z.strictObject({ productId: productIdSchema, variantId: variantIdSchema.optional() });
export type CartRemoveInput = z.infer<typeof cartRemoveInput>;

/** One variant of a product in the cart; price and stock are the variant's. */
export interface CartLine {
  productId: number;
  variantId: number;
  sku: string;
  options: VariantOptions;
  slug: string;
  name: string;
  imageUrl: string;
  priceCents: number;
  quantity: number;
  stock: number;
  lineTotalCents: number;
}

export interface Cart {
  lines: CartLine[];
  itemCount: number;
  subtotalCents: number;
  currency: string;
  /** The promotion code applied to the cart, upper-cased; null without one. */
  code: string | null;
  discountCents: number;
  /** subtotalCents − discountCents. */
  totalCents: number;
  /** Why the code gives no discount right now; null when it does, or without a code. */
  codeProblem: CartCodeProblem | null;
}
