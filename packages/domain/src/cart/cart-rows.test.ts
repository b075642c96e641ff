import { CartItem, Product } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { LineRow, MergeRow } from './cart.service.ts';

describe('cart rows match their tables', () => {
  it('LineRow: cart_items with its product', async () => {
    const problems = await rowColumnMismatches<LineRow>(CartItem, {
      product_id: 'int',
      slug: { of: Product, column: 'slug', kind: 'text' },
      name: { of: Product, column: 'name', kind: 'text' },
      image_url: { of: Product, column: 'image_url', kind: 'text' },
      price_cents: { of: Product, column: 'price_cents', kind: 'int' },
      quantity: 'int',
      stock: { of: Product, column: 'stock', kind: 'int' },
    });
    expect(problems).toEqual([]);
  });

  it("MergeRow: the guest's cart_items, its product's stock and the user's line, if any", async () => {
    const problems = await rowColumnMismatches<MergeRow>(CartItem, {
      product_id: 'int',
      quantity: 'int',
      stock: { of: Product, column: 'stock', kind: 'int' },
      user_quantity: { column: 'quantity', kind: 'int?', leftJoin: true },
    });
    expect(problems).toEqual([]);
  });
});
