// Search across the dense window: a common word's first pages come from the first rows in id
// order (DENSE_WINDOW), rarer matches from the name index. Pages crossing from one to the other,
// and from tier 1 (name) to tier 2 (description only), must neither skip nor repeat a product.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type CatalogListInput, catalogListInput, type ProductSummary } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCatalogFixture, testContext } from '../testing/index.ts';
import { listProducts } from './catalog.service.ts';

let db: TestDatabase;
const execute = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

async function walk(input: Partial<CatalogListInput>): Promise<ProductSummary[]> {
  const all: ProductSummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 500; page++) {
    const result = await listProducts(testContext(db.orm), catalogListInput.parse({ ...input, ...(cursor ? { cursor } : {}) }));
    all.push(...result.items);
    if (!result.nextCursor) return all;
    cursor = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

/** Inserts `count` products named `name` (numbered), with `description`, in one statement. */
async function insert(count: number, name: string, description: string): Promise<void> {
  await execute(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     select lower(replace(?, ' ', '-')) || '-w' || n, ?, ?, 999, 5, (select id from categories where slug = 'kitchen'), '/img/x.svg'
     from generate_series(1, ?) n`,
    [name, name, description, count],
  );
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork());
  // Dense at first (a page fills from the window), then far beyond the window, then a tier 2 of
  // products that name the word only in their description.
  await insert(300, 'Quokka Mug', 'A mug.');
  await insert(3_000, 'Plain Cup', 'Nothing to see.');
  await insert(30, 'Quokka Vase', 'A vase.');
  await insert(20, 'Plain Bowl', 'Shaped like a quokka.');
  await execute('analyze products');
}, 120_000);
afterAll(() => db?.drop());

describe('search across the dense window and the tiers', () => {
  it('walks every match once: name matches in id order, then description-only matches in id order', async () => {
    const expected = await execute<{ id: number }>(
      `select id from products where search @@ to_tsquery('english', 'quokka:*')
       order by (name_search @@ to_tsquery('english', 'quokka:*')) desc, id`,
    );
    expect(expected.length).toBe(350);
    for (const search of ['quokka', 'quok']) {
      const ids = (await walk({ search, limit: 40 })).map((p) => p.id);
      expect(ids, search).toEqual(expected.map((r) => r.id));
    }
  });

  it('finds a multi-word match that lies only beyond the window', async () => {
    const items = await walk({ search: 'quokka vase', limit: 7 });
    expect(items).toHaveLength(30);
    expect(items.every((p) => p.name === 'Quokka Vase')).toBe(true);
    expect(items.map((p) => p.id)).toEqual([...items.map((p) => p.id)].sort((a, b) => a - b));
  });
});
