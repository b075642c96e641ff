import { z } from 'zod';
import { productIdSchema } from './cart.ts';

export const wishlistItemInput = z.strictObject({ productId: productIdSchema });
export type WishlistItemInput = z.infer<typeof wishlistItemInput>;
