import { Order, OrderLine } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { OrderLineRow, OrderRow } from './order-row.ts';

describe('order rows match their tables', () => {
  it('OrderRow: orders', async () => {
    const problems = await rowColumnMismatches<OrderRow>(Order, {
      id: 'uuid',
      number: 'bigint',
      status: 'text',
      created_at: 'timestamptz',
      code: 'text?',
      subtotal_cents: 'int',
      discount_cents: 'int',
      total_cents: 'int',
      currency: 'text',
      shipping_address: 'jsonb',
      sort_key: 'computed',
    });
    expect(problems).toEqual([]);
  });

  it('OrderLineRow: order_lines', async () => {
    const problems = await rowColumnMismatches<OrderLineRow>(OrderLine, {
      order_id: 'uuid',
      product_id: 'int',
      variant_id: 'int?',
      sku: 'text',
      options: 'jsonb',
      name: 'text',
      unit_price_cents: 'int',
      quantity: 'int',
      line_total_cents: 'int',
    });
    expect(problems).toEqual([]);
  });
});
