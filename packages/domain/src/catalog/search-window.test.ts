// Search across the dense window: a common word's first pages come from the first rows in id
// order (DENSE_WINDOW), rarer matches from the name index. Pages crossing from one to the other,
// and from tier 1 (name) to tier 2 (description only), must neither skip nor repeat a product.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { CatalogListInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCatalogFixture, walkCatalog } from '../testing/index.ts';
import { TYPO_WINDOW } from './search-sql.ts';

let db: TestDatabase;
const execute = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

const walk = (input: Partial<CatalogListInput>) => walkCatalog(db.orm, input);

let batch = 0;
/** Inserts `count` products named `name` (numbered), with `description`, in one statement. */
async function insert(count: number, name: string, description: string): Promise<void> {
  batch++;
  await execute(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     select lower(replace(?, ' ', '-')) || '-w${batch}-' || n, ?, ?, 999, 5, (select id from categories where slug = 'kitchen'), '/img/x.svg'
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
  // Typos (tier 3): 'wallaby' is dense in the typo window (60), then beyond it (30); 'numbat' only
  // beyond it (7). 'wallabyy' is a word of descriptions only (tier 2), corrected to 'wallaby'.
  await insert(60, 'Wallaby Jug', 'A jug.');
  await insert(15, 'Plain Dish', 'A wallabyy.');
  await insert(TYPO_WINDOW + 500, 'Plain Plate', 'Nothing to see.');
  await insert(30, 'Wallaby Jug', 'A jug.');
  await insert(7, 'Numbat Tray', 'A tray.');
  await execute('analyze products');
}, 120_000);
afterAll(() => db?.drop());

describe('a search under another sort, across the sort-order window and the search index', () => {
  it.each([
    ['price_asc', 'price_cents asc, id asc'],
    ['price_desc', 'price_cents desc, id desc'],
    ['name', 'name asc, id asc'],
    ['newest', 'created_at desc, id desc'],
  ] as const)('walks every match of a word once, sorted by %s', async (sort, order) => {
    const expected = await execute<{ id: number }>(
      `select id from products where search @@ to_tsquery('english', 'quokka:*') order by ${order}`,
    );
    expect(expected.length).toBe(350);
    const ids = (await walk({ search: 'quokka', sort, limit: 45 })).map((p) => p.id);
    expect(ids).toEqual(expected.map((r) => r.id));
  });

  it('answers a word found nowhere with an empty page, sorted or not', async () => {
    for (const sort of ['price_asc', 'name', 'relevance'] as const) expect(await walk({ search: 'zzyzxq', sort })).toEqual([]);
  });
});

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

describe('typo search across the typo window, the index and the tiers', () => {
  const ids = async (query: string) => (await execute<{ id: number }>(query)).map((r) => r.id);
  // Tier 3's ground truth: the corrections' matches (the fixture's walls and walnuts are corrected to
  // as well), in id order.
  const corrected = (typo: string) =>
    ids(
      `select id from products where search @@ catalog_typo_query('${typo}') and not search @@ to_tsquery('english', '${typo}:*') order by id`,
    );

  it('walks a dense correction: its first pages from the window, the rest through the index', async () => {
    const wallabies = await ids(`select id from products where name = 'Wallaby Jug' order by id`);
    expect(wallabies.length).toBe(90);
    // The first page fills within the window; the last wallabies lie beyond it.
    const [{ first } = { first: 0 }] = await execute<{ first: number }>('select min(id)::int as first from products');
    expect((wallabies[40] ?? Infinity) - first).toBeLessThan(TYPO_WINDOW);
    expect((wallabies.at(-1) ?? 0) - first).toBeGreaterThan(TYPO_WINDOW);
    const expected = await corrected('walaby');
    expect(expected).toEqual(expect.arrayContaining(wallabies));
    for (const limit of [40, 7]) {
      const items = await walk({ search: 'walaby', limit });
      expect(
        items.map((p) => p.id),
        `limit ${limit}`,
      ).toEqual(expected);
    }
  });

  it('walks a sparse correction, found through the index', async () => {
    const expected = await ids(`select id from products where search @@ to_tsquery('english', 'numbat') order by id`);
    expect(expected.length).toBe(7);
    expect(await corrected('numbatt')).toEqual(expected);
    expect((await walk({ search: 'numbatt', limit: 3 })).map((p) => p.id)).toEqual(expected);
  });

  it('walks from the description-only tier into the corrections without skipping or repeating', async () => {
    const tier2 = await ids(`select id from products where extra_search @@ to_tsquery('english', 'wallabyy:*') order by id`);
    const tier3 = await corrected('wallabyy');
    expect(tier2.length).toBe(15);
    expect(tier3.length).toBeGreaterThan(90);
    for (const limit of [40, 6]) {
      const items = await walk({ search: 'wallabyy', limit });
      expect(
        items.map((p) => p.id),
        `limit ${limit}`,
      ).toEqual([...tier2, ...tier3]);
    }
  });
});
