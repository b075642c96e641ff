import type { EntityManager } from '@mikro-orm/postgresql';
import { seedDemo } from '@shop/db';

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
