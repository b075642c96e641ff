import { defineEntity, p } from '@mikro-orm/core';
import { Product, ProductVariant } from './catalog.ts';
import { User } from './user.ts';

const WishlistItemSchema = defineEntity({
  name: 'WishlistItem',
  tableName: 'wishlist_items',
  properties: {
    user: () => p.manyToOne(User).primary().deleteRule('cascade'),
    product: () => p.manyToOne(Product).primary().deleteRule('cascade'),
    // The variant the shopper had picked, if any: the wishlist holds products.
    variant: () => p.manyToOne(ProductVariant).nullable().deleteRule('set null'),
    addedAt: p.datetime().defaultRaw('now()'),
  },
  // Removing a variant finds the wishes that name it by index.
  indexes: [
    {
      name: 'wishlist_items_variant_idx',
      expression: 'create index "wishlist_items_variant_idx" on "wishlist_items" ("variant_id") where "variant_id" is not null',
    },
  ],
});
export class WishlistItem extends WishlistItemSchema.class {}
WishlistItemSchema.setClass(WishlistItem);
