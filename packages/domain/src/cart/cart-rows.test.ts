import { Cart, CartItem, Product, ProductVariant, Promotion } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { CartReadRow, LineRow, MergeRow } from './cart.service.ts';

describe('cart rows match their tables', () => {
  it('LineRow: cart_items with its product and variant', async () => {
    const problems = await rowColumnMismatches<LineRow>(CartItem, {
      product_id: 'int',
      variant_id: 'int',
      sku: { of: ProductVariant, column: 'sku', kind: 'text' },
      options: { of: ProductVariant, column: 'options', kind: 'jsonb' },
      slug: { of: Product, column: 'slug', kind: 'text' },
      name: { of: Product, column: 'name', kind: 'text' },
      image_url: { of: Product, column: 'image_url', kind: 'text' },
      price_cents: { of: ProductVariant, column: 'price_cents', kind: 'int' },
      quantity: 'int',
      stock: { of: ProductVariant, column: 'stock', kind: 'int' },
    });
    expect(problems).toEqual([]);
  });

  it('CartReadRow: a cart with its lines, their products and its promotion, all left-joined', async () => {
    const problems = await rowColumnMismatches<CartReadRow>(Cart, {
      product_id: { of: CartItem, column: 'product_id', kind: 'int?', leftJoin: true },
      variant_id: { of: CartItem, column: 'variant_id', kind: 'int?', leftJoin: true },
      sku: { of: ProductVariant, column: 'sku', kind: 'text?', leftJoin: true },
      options: { of: ProductVariant, column: 'options', kind: 'jsonb?', leftJoin: true },
      slug: { of: Product, column: 'slug', kind: 'text?', leftJoin: true },
      name: { of: Product, column: 'name', kind: 'text?', leftJoin: true },
      image_url: { of: Product, column: 'image_url', kind: 'text?', leftJoin: true },
      price_cents: { of: ProductVariant, column: 'price_cents', kind: 'int?', leftJoin: true },
      quantity: { of: CartItem, column: 'quantity', kind: 'int?', leftJoin: true },
      stock: { of: ProductVariant, column: 'stock', kind: 'int?', leftJoin: true },
      promotion_id: { of: Promotion, column: 'id', kind: 'int?', leftJoin: true },
      code: { of: Promotion, column: 'code', kind: 'text?', leftJoin: true },
      kind: { of: Promotion, column: 'kind', kind: 'text?', leftJoin: true },
      value: { of: Promotion, column: 'value', kind: 'int?', leftJoin: true },
      min_subtotal_cents: { of: Promotion, column: 'min_subtotal_cents', kind: 'int?', leftJoin: true },
      state: 'computed',
    });
    expect(problems).toEqual([]);
  });

  it("MergeRow: the guest's cart_items, its variant's stock and the user's line, if any", async () => {
    const problems = await rowColumnMismatches<MergeRow>(CartItem, {
      product_id: 'int',
      variant_id: 'int',
      quantity: 'int',
      stock: { of: ProductVariant, column: 'stock', kind: 'int' },
      user_quantity: { column: 'quantity', kind: 'int?', leftJoin: true },
    });
    expect(problems).toEqual([]);
  });
});
