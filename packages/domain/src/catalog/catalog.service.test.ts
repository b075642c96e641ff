import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { CATALOG_SORTS, type CatalogListInput, catalogListInput, type ProductSummary } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceContext } from '../context.ts';
import { ShopError } from '../errors.ts';
import { seedCatalogFixture, testContext, walkCatalog } from '../testing/index.ts';
import { getProduct, listCategories, listProducts } from './catalog.service.ts';
import { searchTerms, searchWords } from './search-sql.ts';

let db: TestDatabase;
const ctx = (): ServiceContext => testContext(db.orm);
const list = (input: Partial<CatalogListInput> = {}) => listProducts(ctx(), catalogListInput.parse(input));

const walk = (input: Partial<CatalogListInput>) => walkCatalog(db.orm, input);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedCatalogFixture(db.orm.em.fork());
});
afterAll(() => db?.drop());

describe('catalog.listCategories', () => {
  it('lists every category with its product count', async () => {
    const categories = await listCategories(ctx());
    expect(categories.length).toBeGreaterThanOrEqual(10);
    const total = categories.reduce((sum, c) => sum + c.productCount, 0);
    const [row] = await db.orm.em.getConnection().execute<{ n: number }[]>('select count(*)::int as n from products');
    expect(total).toBe(row?.n);
    expect(categories.find((c) => c.slug === 'lighting')?.productCount).toBe(25 + 30);
  });
});

describe('catalog.listProducts pagination', () => {
  const expectedLighting = async () =>
    (
      await db.orm.em
        .getConnection()
        .execute<{ id: number }[]>(`select p.id from products p join categories c on c.id = p.category_id where c.slug = 'lighting'`)
    ).map((r) => r.id);

  it.each(CATALOG_SORTS)('walks a category sorted by %s without gaps or repeats, ties included', async (sort) => {
    const items = await walk({ category: 'lighting', sort, limit: 7 });
    const ids = items.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual((await expectedLighting()).sort((a, b) => a - b));
    expect(items.every((p) => p.category.slug === 'lighting')).toBe(true);
  });

  it('orders by price with the id breaking ties, in both directions', async () => {
    const asc = await walk({ category: 'lighting', sort: 'price_asc', limit: 5 });
    for (let i = 1; i < asc.length; i++) {
      const [a, b] = [asc[i - 1] as ProductSummary, asc[i] as ProductSummary];
      expect(a.priceCents < b.priceCents || (a.priceCents === b.priceCents && a.id < b.id)).toBe(true);
    }
    const desc = await walk({ category: 'lighting', sort: 'price_desc', limit: 5 });
    expect(desc.map((p) => p.id)).toEqual([...asc].reverse().map((p) => p.id));
  });

  it('orders by name', async () => {
    const items = await walk({ sort: 'name', limit: 50 });
    const names = items.map((p) => p.name);
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('returns the first page and a cursor only while more rows follow', async () => {
    const first = await list({ limit: 24 });
    expect(first.items).toHaveLength(24);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = await list({ category: 'lighting', limit: 100 });
    expect(all.items).toHaveLength(55);
    expect(all.nextCursor).toBeNull();
  });
});

describe('catalog.listProducts filters', () => {
  it('filters by price range, inclusive', async () => {
    const items = await walk({ minPriceCents: 1_000, maxPriceCents: 2_000, limit: 100 });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((p) => p.priceCents >= 1_000 && p.priceCents <= 2_000)).toBe(true);
    expect(items.some((p) => p.priceCents === 1_999)).toBe(true);
  });

  it('filters to products in stock', async () => {
    const items = await walk({ category: 'lighting', inStock: true, limit: 100 });
    expect(items.every((p) => p.stock > 0)).toBe(true);
    const all = await walk({ category: 'lighting', limit: 100 });
    expect(items.length).toBeLessThan(all.length);
  });

  it('an unknown category yields an empty page', async () => {
    expect(await list({ category: 'no-such-category' })).toEqual({ items: [], nextCursor: null });
  });
});

describe('catalog.listProducts search', () => {
  it('matches words, prefixes and ranks name matches first', async () => {
    const full = await list({ search: 'tied lamp' });
    expect(full.items[0]?.name).toBe('Tied Lamp');
    const prefix = await list({ search: 'tie' });
    expect(prefix.items.some((p) => p.name === 'Tied Lamp')).toBe(true);
  });

  it('tolerates a typo through trigram similarity', async () => {
    const { items } = await list({ search: 'Tieed Lammp' });
    expect(items.some((p) => p.name === 'Tied Lamp')).toBe(true);
  });

  it('pages through search results by relevance without repeats', async () => {
    const items = await walk({ search: 'lamp', limit: 4 });
    const ids = items.map((p) => p.id);
    expect(ids.length).toBeGreaterThan(30);
    expect(new Set(ids).size).toBe(ids.length);
  });

  // The filters are applied inside the search's index lookups: the same rows as filtering after a
  // plain `@@ or <%` match, under every sort.
  it.each(CATALOG_SORTS)('combines search with category, price and stock filters, sorted by %s', async (sort) => {
    const filters = { category: 'lighting', minPriceCents: 500, maxPriceCents: 5_000, inStock: true } as const;
    const items = await walk({ search: 'lamp', ...filters, sort, limit: 5 });
    const expected = await db.orm.em.getConnection().execute<{ id: number }[]>(
      `select p.id from products p join categories c on c.id = p.category_id
       where (p.search @@ to_tsquery('english', 'lamp:*') or 'lamp' <% p.name)
         and c.slug = ? and p.price_cents between ? and ? and p.stock > 0`,
      [filters.category, filters.minPriceCents, filters.maxPriceCents],
    );
    expect(expected.length).toBeGreaterThan(5);
    const ids = items.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(expected.map((r) => r.id).sort((a, b) => a - b));
  });

  it('finds nothing in an unknown category', async () => {
    expect(await list({ search: 'lamp', category: 'no-such-category' })).toEqual({ items: [], nextCursor: null });
    expect(await list({ search: 'tiedd', category: 'no-such-category' })).toEqual({ items: [], nextCursor: null });
  });

  // A correction (tier 3) is looked for in the catalog's rows, not the words' categories: the
  // category asked for still filters what it finds, under every sort, a page of one included.
  it.each(CATALOG_SORTS)('keeps a typo search within the category asked for, sorted by %s', async (sort) => {
    const everywhere = await walk({ search: 'tiedd', sort, limit: 1 });
    expect(everywhere.some((p) => p.category.slug === 'lighting')).toBe(true);
    for (const category of ['kitchen', 'lighting']) {
      const items = await walk({ search: 'tiedd', category, sort, limit: 1 });
      expect(items.map((p) => p.id).sort((a, b) => a - b)).toEqual(
        everywhere
          .filter((p) => p.category.slug === category)
          .map((p) => p.id)
          .sort((a, b) => a - b),
      );
    }
  });

  it('treats query syntax as plain words', async () => {
    expect(searchTerms(searchWords(`lamp & !oak | (x:*) '`))?.all).toBe('lamp:* & oak:* & x:*');
    expect(searchTerms(searchWords('&&& !!'))).toBeNull();
    await expect(list({ search: `'):* | !!(` })).resolves.toEqual(expect.objectContaining({ items: expect.any(Array) }));
  });
});

describe('catalog cursors', () => {
  it('refuses a cursor from another sort order', async () => {
    const { nextCursor } = await list({ sort: 'price_asc', limit: 2 });
    await expect(list({ sort: 'name', cursor: nextCursor ?? '' })).rejects.toMatchObject({ kind: 'BAD_REQUEST' });
  });

  it.each([
    'garbage',
    Buffer.from('["price_asc","1; drop table products",1]').toString('base64url'),
    Buffer.from('["newest","not-a-number",1]').toString('base64url'),
    Buffer.from('["price_asc","100",1.5]').toString('base64url'),
    // A name key PostgreSQL cannot take as text: it would fail the statement, not answer 400.
    Buffer.from(JSON.stringify(['name', 'a\u0000', 1])).toString('base64url'),
    Buffer.from(JSON.stringify(['name', 'a\uD800', 1])).toString('base64url'),
  ])('refuses a forged cursor %s as BAD_REQUEST', async (cursor) => {
    const sort = cursor.startsWith('garbage') ? 'price_asc' : (JSON.parse(Buffer.from(cursor, 'base64url').toString())[0] as 'price_asc');
    const error = await list({ sort, cursor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShopError);
    expect((error as ShopError).kind).toBe('BAD_REQUEST');
  });
});

describe('catalog.getProduct', () => {
  it('returns a product with its description and category', async () => {
    const product = await getProduct(ctx(), 'tied-lamp-1');
    expect(product).toMatchObject({
      slug: 'tied-lamp-1',
      name: 'Tied Lamp',
      priceCents: 1999,
      currency: 'EUR',
      category: { slug: 'lighting', name: 'Lighting' },
    });
    expect(product.createdAt).toBe('2026-01-01T12:00:00.123Z');
  });

  it('is NOT_FOUND for an unknown slug', async () => {
    await expect(getProduct(ctx(), 'no-such-product')).rejects.toMatchObject({ kind: 'NOT_FOUND' });
  });
});

describe('category product counts', () => {
  const counted = async () => {
    const conn = db.orm.em.getConnection();
    const stored = await conn.execute<{ slug: string; n: number }[]>('select slug, product_count as n from categories order by slug');
    const actual = await conn.execute<{ slug: string; n: number }[]>(
      `select c.slug, count(p.id)::int as n from categories c left join products p on p.category_id = c.id group by c.slug order by c.slug`,
    );
    return { stored, actual };
  };

  it('follow inserts, category moves and deletes in the same statement', async () => {
    const conn = db.orm.em.getConnection();
    await conn.execute(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
       select 'count-test-' || n, 'Count Test', 'x', 100, 1, (select id from categories where slug = 'books'), '/x.svg'
       from generate_series(1, 3) n`,
    );
    await conn.execute(`update products set category_id = (select id from categories where slug = 'garden') where slug = 'count-test-1'`);
    await conn.execute(`update products set stock = stock + 1 where slug = 'count-test-2'`);
    await conn.execute(`delete from products where slug = 'count-test-3'`);
    const { stored, actual } = await counted();
    expect(stored).toEqual(actual);
    await conn.execute(`delete from products where slug like 'count-test-%'`);
    const after = await counted();
    expect(after.stored).toEqual(after.actual);
  });
});

describe('catalog.listProducts search words', () => {
  it('finds a misspelt word through the words of product names, and a new name word at once', async () => {
    const { items } = await list({ search: 'tepot' });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((p) => p.name.includes('Teapot'))).toBe(true);
    await db.orm.em.getConnection().execute(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
         values ('zebrawood-1', 'Zebrawood Box', 'x', 100, 1, (select id from categories where slug = 'books'), '/x.svg')`,
    );
    expect((await list({ search: 'zebrawod' })).items.map((p) => p.slug)).toEqual(['zebrawood-1']);
  });

  // Words with digits are the parser's numwords, which to_tsvector does not stem (a5s stays a5s,
  // where english_stem alone makes it a5): the name index is asked for the lexeme the name holds.
  it.each(CATALOG_SORTS)('finds a name word with digits, whole and as a prefix, sorted by %s', async (sort) => {
    await db.orm.em.getConnection().execute(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
         values ('tiny-2ply-napkin-' || ?, 'Tiny 2ply A5s Napkin', 'x', 100, 1, (select id from categories where slug = 'kitchen'), '/x.svg')
       on conflict (slug) do nothing`,
      [sort],
    );
    for (const search of ['2ply', 'a5s', '2pl', 'a5s napkin']) {
      const { items } = await list({ search, sort });
      expect(
        items.map((p) => p.slug),
        search,
      ).toContain(`tiny-2ply-napkin-${sort}`);
    }
  });
});
