import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { seedDemo } from '@shop/db';
import { type CatalogListInput, catalogListInput, type ProductSummary } from '@shop/schemas';
import { listProducts } from '../catalog/catalog.service.ts';
import { testContext } from './context.ts';

/**
 * The demo catalog plus rows built to break naive pagination: many products in one category that
 * share one price and one creation time, so only the id can order them.
 */
export async function seedCatalogFixture(em: EntityManager, { products = 300, ties = 30 } = {}): Promise<void> {
  await seedDemo(em, { products, accounts: true });
  await em.getConnection().execute(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url, created_at)
     select 'tied-lamp-' || n, 'Tied Lamp', 'Same price, same time.', 1999, n % 3,
            (select id from categories where slug = 'lighting'), '/img/products/tied.svg', timestamptz '2026-01-01 12:00:00.123456+00'
     from generate_series(1, ?) n`,
    [ties],
  );
}

/**
 * Every product of a catalog listing, in the order received: follows nextCursor to the end,
 * checking no page is longer than its limit.
 */
export async function walkCatalog(orm: MikroORM, input: Partial<CatalogListInput>): Promise<ProductSummary[]> {
  const all: ProductSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const result = await listProducts(testContext(orm), catalogListInput.parse({ ...input, ...(cursor ? { cursor } : {}) }));
    if (result.items.length > (input.limit ?? 24)) throw new Error(`a page of ${result.items.length} items, over its limit`);
    all.push(...result.items);
    if (!result.nextCursor) return all;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}
