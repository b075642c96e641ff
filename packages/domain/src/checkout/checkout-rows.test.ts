import { CartItem, Order, Product } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { CartLineRow, ExistingOrderRow } from './checkout.service.ts';

describe('checkout rows match their tables', () => {
  it('CartLineRow: cart_items with its product', async () => {
    const problems = await rowColumnMismatches<CartLineRow>(CartItem, {
      product_id: 'int',
      quantity: 'int',
      name: { of: Product, column: 'name', kind: 'text' },
      price_cents: { of: Product, column: 'price_cents', kind: 'int' },
      stock: { of: Product, column: 'stock', kind: 'int' },
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
