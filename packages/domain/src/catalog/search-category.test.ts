// A search whose words all occur in one category reads that category's rows for its windows
// (search_term_categories, kept by triggers). Every write that puts a word into another category
// (insert, new name or description, a move) must send the search back to the whole catalog: else
// the match in the other category would never be found.
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import type { CatalogListInput } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedCatalogFixture, walkCatalog } from '../testing/index.ts';
import { DENSE_WINDOW, MAX_SEARCH_CATEGORIES, SEARCH_CATEGORIES } from './search-sql.ts';

let db: TestDatabase;
const execute = <T extends object>(query: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(query, params);

const walk = async (input: Partial<CatalogListInput>) => (await walkCatalog(db.orm, input)).map((p) => p.id);

/** Inserts `count` products named `name` into `category`, in one statement, priced from `price` up. */
async function insert(count: number, name: string, category: string, price = 500): Promise<void> {
  await execute(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     select lower(replace(?, ' ', '-')) || '-' || ? || '-' || n || '-' || (random() * 1e9)::bigint, ?, 'Plain.', ? + n, 5,
       (select id from categories where slug = ?), '/img/x.svg'
     from generate_series(1, ?) n`,
    [name, category, name, price, category, count],
  );
}

/** The categories a search's words occur in, and how many products they can match at most. */
const searchCategories = async (words: string) =>
  (
    await execute<{ ids: number[]; matches: number }>(
      `with ${SEARCH_CATEGORIES} select coalesce(array_agg(category_id order by category_id), '{}') as ids,
         coalesce(sum(matches), 0)::int as matches from search_categories`,
      [words, words],
    )
  )[0] ?? { ids: [], matches: 0 };
/** The categories of a search's words. */
const categoriesOf = async (words: string): Promise<number[]> => (await searchCategories(words)).ids;
const categoryId = async (slug: string) => (await execute<{ id: number }>(`select id from categories where slug = ?`, [slug]))[0]?.id ?? 0;

const expectedIds = (word: string, order: string) =>
  execute<{ id: number }>(`select id from products where search @@ to_tsquery('english', ?) order by ${order}`, [`${word}:*`]).then(
    (rows) => rows.map((r) => r.id),
  );

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork());
  // Kitchen holds the word, sparse in the catalog (far more other products first) and dense in
  // kitchen; the lighting products are cheaper, so a price sort's catalog window holds none of it.
  await insert(4 * DENSE_WINDOW, 'Plain Shade', 'lighting', 100);
  await insert(DENSE_WINDOW / 2, 'Plain Spoon', 'kitchen', 2_000);
  await insert(60, 'Wombat Kettle', 'kitchen', 2_000);
  await insert(2 * DENSE_WINDOW, 'Plain Fork', 'kitchen', 2_000);
  await insert(40, 'Wombat Kettle', 'kitchen', 2_000);
  await insert(30, 'Echidna Pot', 'kitchen', 2_100);
  await execute(
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     select 'echidna-lamp-' || n, 'Echidna Lamp', 'Plain.', 100 + n * 200, 5, (select id from categories where slug = 'lighting'), '/img/x.svg'
     from generate_series(1, 30) n`,
  );
  await execute('analyze products');
}, 120_000);
afterAll(() => db?.drop());

describe('a search whose words occur in one category', () => {
  it('knows the categories of a word, of several words, and none for words of too many or none', async () => {
    const kitchen = await categoryId('kitchen');
    expect(await categoriesOf('wombat')).toEqual([kitchen]);
    expect(await categoriesOf('wombat kettle')).toEqual([kitchen]);
    expect(await categoriesOf('womb')).toEqual([kitchen]);
    expect(await categoriesOf('echidna')).toEqual([await categoryId('kitchen'), await categoryId('lighting')].sort((a, b) => a - b));
    // A word of every category's descriptions: more categories than windows are read for.
    expect((await categoriesOf('collection')).length).toBeGreaterThan(MAX_SEARCH_CATEGORIES);
    expect((await searchCategories('wombat')).matches).toBe(100);
    expect((await searchCategories('wombat kettle')).matches).toBe(100);
    expect(await categoriesOf('wombat shade')).toEqual([]);
    expect(await categoriesOf('zzyzxq')).toEqual([]);
  });

  const sorts = [
    ['relevance', 'id'],
    ['price_asc', 'price_cents asc, id asc'],
    ['price_desc', 'price_cents desc, id desc'],
    ['name', 'name asc, id asc'],
    ['newest', 'created_at desc, id desc'],
  ] as const;

  it.each(sorts)('walks every match once from the category, sorted by %s', async (sort, order) => {
    const expected = await expectedIds('wombat', order);
    expect(expected).toHaveLength(100);
    expect(await walk({ search: 'wombat', sort, limit: 24 })).toEqual(expected);
  });

  // Both categories' windows end before their categories do, the lighting one first (by price): the
  // matches past its end come from the next pages' windows, or the index, in order all the same.
  it.each(sorts)('walks every match once from two categories, sorted by %s', async (sort, order) => {
    const expected = await expectedIds('echidna', order);
    expect(expected).toHaveLength(60);
    expect(await walk({ search: 'echidna', sort, limit: 7 })).toEqual(expected);
  });

  // Each write on its own word: once one puts the word into a second category, the others would pass
  // on the whole catalog's route whatever their own trigger did.
  it.each([
    ['an insert', 'quoll', (id: number) => insert(1, 'Quoll Lamp', 'lighting', 50).then(() => id)],
    [
      'a new description',
      'bilby',
      (id: number) => execute(`update products set description = 'Shaped like a bilby.' where id = ?`, [id]).then(() => id),
    ],
    ['a new name', 'dunnart', (id: number) => execute(`update products set name = 'Dunnart Chair' where id = ?`, [id]).then(() => id)],
  ] as const)('finds the word in another category once %s puts it there', async (_, word, write) => {
    const name = `${word[0]?.toUpperCase()}${word.slice(1)} Pot`;
    await insert(40, name, 'kitchen', 2_000);
    await insert(1, 'Plain Chair', 'furniture', 50);
    const [{ id: chair } = { id: 0 }] = await execute<{ id: number }>(`select max(id)::int as id from products where name = 'Plain Chair'`);
    expect(await categoriesOf(word)).toEqual([await categoryId('kitchen')]);
    await write(chair);
    expect(await categoriesOf(word)).toHaveLength(2);
    const found = await walk({ search: word, sort: 'price_asc', limit: 24 });
    expect(found).toEqual(await expectedIds(word, 'price_cents asc, id asc'));
    expect(found).toHaveLength(41);
    expect([...(await walk({ search: word, limit: 24 }))].sort((a, b) => a - b)).toEqual(await expectedIds(word, 'id'));
  });

  it('finds a product moved into another category with its words', async () => {
    await insert(40, 'Bandicoot Pot', 'kitchen', 2_000);
    const [{ id } = { id: 0 }] = await execute<{ id: number }>(`select max(id)::int as id from products where name = 'Bandicoot Pot'`);
    await execute(`update products set category_id = (select id from categories where slug = 'garden') where id = ?`, [id]);
    expect(await categoriesOf('bandicoot')).toContain(await categoryId('garden'));
    const found = await walk({ search: 'bandicoot', sort: 'name', limit: 24 });
    expect(found).toEqual(await expectedIds('bandicoot', 'name asc, id asc'));
    expect(found).toContain(id);
  });

  it('keeps every count equal to what the products hold, through inserts, updates, moves and deletes', async () => {
    await insert(20, 'Platypus Cup', 'kitchen');
    await execute(`update products set description = 'A platypus, in teal.' where name = 'Plain Spoon' and id % 7 = 0`);
    await execute(
      `update products set category_id = (select id from categories where slug = 'toys') where name = 'Platypus Cup' and id % 2 = 0`,
    );
    await execute(`update products set name = 'Echidna Spoon' where name = 'Plain Spoon' and id % 5 = 0`);
    await execute(`delete from products where name = 'Platypus Cup' and id % 3 = 0`);
    const drift = await execute<{ lexeme: string }>(
      `select coalesce(t.lexeme, p.lexeme) as lexeme from search_term_categories t
       full join (select l as lexeme, category_id, count(*)::int as n from products, unnest(tsvector_to_array(search)) l group by 1, 2) p
         on p.lexeme = t.lexeme and p.category_id = t.category_id
       where coalesce(t.products, 0) <> coalesce(p.n, 0)`,
    );
    expect(drift).toEqual([]);
    expect((await searchCategories('platypus')).ids).toHaveLength(2);
  });
});
