import { defineEntity, p } from '@mikro-orm/core';
import { Product, ProductVariant } from './catalog.ts';
import { Promotion } from './promotion.ts';
import { User } from './user.ts';

/** A cart belongs to a signed-in user, or to a guest session that only knows the cart's id. */
const CartSchema = defineEntity({
  name: 'Cart',
  tableName: 'carts',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    user: () => p.manyToOne(User).nullable().unique('carts_user_unique').deleteRule('cascade'),
    // The code the shopper applied; it stays while the cart changes and is redeemed at checkout.
    promotion: () => p.manyToOne(Promotion).nullable().deleteRule('set null'),
    createdAt: p.datetime().defaultRaw('now()'),
    updatedAt: p.datetime().defaultRaw('now()'),
  },
});
export class Cart extends CartSchema.class {}
CartSchema.setClass(Cart);

const CartItemSchema = defineEntity({
  name: 'CartItem',
  tableName: 'cart_items',
  properties: {
    cart: () => p.manyToOne(Cart).primary().deleteRule('cascade'),
    // A line per variant; its product is kept beside it for the reads that join products.
    variant: () => p.manyToOne(ProductVariant).primary().deleteRule('cascade'),
    product: () => p.manyToOne(Product).deleteRule('cascade'),
    quantity: p.integer().check('quantity >= 1 and quantity <= 99'),
    addedAt: p.datetime().defaultRaw('now()'),
  },
  // Removing a variant finds its cart lines by index (the primary key leads with the cart).
  indexes: [{ name: 'cart_items_variant_idx', properties: ['variant'] }],
});
export class CartItem extends CartItemSchema.class {}
CartItemSchema.setClass(CartItem);
