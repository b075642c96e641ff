import type { Category, Page, ProductSummary } from '@shop/schemas';

export const categories: Category[] = [
  { id: 1, slug: 'kitchen', name: 'Kitchen', productCount: 40 },
  { id: 2, slug: 'lighting', name: 'Lighting', productCount: 12 },
];

export function product(id: number, overrides: Partial<ProductSummary> = {}): ProductSummary {
  return {
    id,
    slug: `product-${id}`,
    name: `Product ${id}`,
    priceCents: 1000 + id,
    currency: 'EUR',
    imageUrl: `/img/products/product-${id}.svg`,
    stock: 5,
    category: { slug: 'kitchen', name: 'Kitchen' },
    ...overrides,
  };
}

export function page(ids: number[], nextCursor: string | null = null): Page<ProductSummary> {
  return { items: ids.map((id) => product(id)), nextCursor };
}
