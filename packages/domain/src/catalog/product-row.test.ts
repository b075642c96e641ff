import { Category, Product } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { ProductSummaryRow } from './product-row.ts';

describe('ProductSummaryRow', () => {
  it('matches products and the category columns of categories', async () => {
    const problems = await rowColumnMismatches<ProductSummaryRow>(Product, {
      id: 'int',
      slug: 'text',
      name: 'text',
      price_cents: 'int',
      currency: 'text',
      image_url: 'text',
      stock: 'int',
      category_slug: { of: Category, column: 'slug', kind: 'text' },
      category_name: { of: Category, column: 'name', kind: 'text' },
    });
    expect(problems).toEqual([]);
  });
});
