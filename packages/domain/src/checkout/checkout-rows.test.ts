import { CartItem, Order, Product, ProductVariant } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { CartLineRow, ExistingOrderRow } from './checkout.service.ts';

describe('checkout rows match their tables', () => {
  it('CartLineRow: cart_items with its product and variant', async () => {
    const problems = await rowColumnMismatches<CartLineRow>(CartItem, {
      product_id: 'int',
      variant_id: 'int',
      quantity: 'int',
      name: { of: Product, column: 'name', kind: 'text' },
      sku: { of: ProductVariant, column: 'sku', kind: 'text' },
      options: { of: ProductVariant, column: 'options', kind: 'jsonb' },
      price_cents: { of: ProductVariant, column: 'price_cents', kind: 'int' },
      stock: { of: ProductVariant, column: 'stock', kind: 'int' },
    });
    expect(problems).toEqual([]);
  });

  it('ExistingOrderRow: orders', async () => {
    const problems = await rowColumnMismatches<ExistingOrderRow>(Order, {
      id: 'uuid',
      cart_fingerprint: 'text',
      shipping_address: 'jsonb',
    });
    expect(problems).toEqual([]);
  });
});
