import { z } from 'zod';
import { productIdSchema, variantIdSchema } from './cart.ts';

export const wishlistItemInput = z.strictObject({ productId: productIdSchema, variantId: variantIdSchema.optional() });
export type WishlistItemInput = z.infer<typeof wishlistItemInput>;
