import type { CatalogListInput, CatalogSort, Category, Page, Product, ProductSummary } from '@shop/schemas';
import type { ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { sql } from '../sql.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { findProduct, PRODUCT_SUMMARY_COLUMNS, type ProductSummaryRow, toSummary } from './product-row.ts';

interface ListRow extends ProductSummaryRow {
  sort_key: string;
}

/** Words of the query as prefix terms: "oak tab" → oak:* & tab:* (nothing else reaches to_tsquery). */
export function toPrefixQuery(search: string): string | null {
  const words =
    search
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, 8) ?? [];
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
}

// Relevance: full-text rank (prefix matching) plus trigram word similarity on the name, which
// also lets a misspelt word ("tepot") find its product. Computed as `real` so the cursor's copy
// compares exactly.
const RANK = `(ts_rank(p.search, to_tsquery('english', ?)) * 2 + word_similarity(?, p.name))::real`;

/** How a sort orders rows: by the key `k` (an SQL expression), with the id `id` breaking ties. */
interface SortSpec {
  /** The sort key of a product `p`; its `?` placeholders (relevance only) take (tsquery, search). */
  key: string;
  /** SQL printing the key as text for the cursor. */
  keyText(k: string): string;
  orderBy(k: string, id: string): string;
  /** Condition for rows after the cursor; `?` placeholders take (key, id), relevance (key, key, id). */
  after(k: string, id: string): string;
}

const SORTS: Record<CatalogSort, SortSpec> = {
  price_asc: {
    key: 'p.price_cents',
    keyText: (k) => `${k}::text`,
    orderBy: (k, id) => `${k} asc, ${id} asc`,
    after: (k, id) => `(${k}, ${id}) > (?::int, ?)`,
  },
  price_desc: {
    key: 'p.price_cents',
    keyText: (k) => `${k}::text`,
    orderBy: (k, id) => `${k} desc, ${id} desc`,
    after: (k, id) => `(${k}, ${id}) < (?::int, ?)`,
  },
  // Microseconds since the epoch: exact, unlike a JavaScript Date.
  newest: {
    key: 'p.created_at',
    keyText: (k) => `(extract(epoch from ${k}) * 1000000)::bigint::text`,
    orderBy: (k, id) => `${k} desc, ${id} desc`,
    after: (k, id) => `(${k}, ${id}) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?)`,
  },
  name: { key: 'p.name', keyText: (k) => k, orderBy: (k, id) => `${k} asc, ${id} asc`, after: (k, id) => `(${k}, ${id}) > (?::text, ?)` },
  relevance: {
    key: RANK,
    keyText: (k) => `${k}::text`,
    orderBy: (k, id) => `${k} desc, ${id} asc`,
    after: (k, id) => `(${k} < ?::real or (${k} = ?::real and ${id} > ?))`,
  },
};

const FROM = 'from products p join categories c on c.id = p.category_id';
const whereSql = (conditions: string[]) => (conditions.length ? `where ${conditions.join(' and ')}` : '');

/** The SQL of `catalog.categories` (no parameters): pure, so the benchmark's floor runs it too. */
export function categoriesQuery(): string {
  return `select c.id, c.slug, c.name, count(p.id)::int as "productCount"
       from categories c left join products p on p.category_id = c.id
       group by c.id order by c.name`;
}

export function listCategories(ctx: ServiceContext): Promise<Category[]> {
  return ctx.catalogCache.read('categories', () => sql<Category>(ctx.em, categoriesQuery()));
}

/**
 * The one SQL statement of a catalog page (with `?` placeholders, parameters in text order): pure,
 * so the benchmark's floor server runs exactly what the shop runs.
 */
export function catalogListQuery(input: CatalogListInput): { query: string; params: unknown[]; sort: CatalogSort } {
  const tsquery = input.search ? toPrefixQuery(input.search) : null;
  const sort: CatalogSort = input.sort ?? (tsquery ? 'relevance' : 'newest');
  // Relevance without a search has nothing to rank by: newest first, under its own cursor.
  const spec = SORTS[sort === 'relevance' && !tsquery ? 'newest' : sort];
  const search = input.search ?? '';
  const cursor = input.cursor ? decodeCursor(input.cursor, sort) : null;

  const filters: string[] = [];
  const filterParams: unknown[] = [];
  if (input.category) {
    filters.push('c.slug = ?');
    filterParams.push(input.category);
  }
  if (input.minPriceCents !== undefined) {
    filters.push('p.price_cents >= ?');
    filterParams.push(input.minPriceCents);
  }
  if (input.maxPriceCents !== undefined) {
    filters.push('p.price_cents <= ?');
    filterParams.push(input.maxPriceCents);
  }
  if (input.inStock) filters.push('p.stock > 0');
  const cursorParams = !cursor ? [] : spec === SORTS.relevance ? [cursor.key, cursor.key, cursor.id] : [cursor.key, cursor.id];

  // Placeholders are positional: parameters follow the SQL's text order.
  let query: string;
  const params: unknown[] = [];
  if (!tsquery) {
    query = `select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.keyText(spec.key)} as sort_key ${FROM}
      ${whereSql(cursor ? [...filters, spec.after(spec.key, 'p.id')] : filters)}
      order by ${spec.orderBy(spec.key, 'p.id')}
      limit ?`;
    params.push(...filterParams, ...cursorParams);
  } else {
    // The match as two index searches, the second leaving out what the first found, each with
    // the filters and computing the sort key (the rank once per row). Never `@@ or <%` in one
    // scan: the planner costs both operators as trivial, so at 100,000 products it ran
    // word_similarity on every row in a sequential scan (~1 s a search).
    const keyParams = spec === SORTS.relevance ? [tsquery, search] : [];
    const branch = (match: string) => `select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k ${FROM} ${whereSql([match, ...filters])}`;
    query = `select s.*, ${spec.keyText('s.k')} as sort_key from (
        ${branch(`p.search @@ to_tsquery('english', ?)`)}
        union all
        ${branch(`? <% p.name and not coalesce(p.search @@ to_tsquery('english', ?), false)`)}
      ) s ${whereSql(cursor ? [spec.after('s.k', 's.id')] : [])}
      order by ${spec.orderBy('s.k', 's.id')}
      limit ?`;
    params.push(...keyParams, tsquery, ...filterParams, ...keyParams, search, tsquery, ...filterParams, ...cursorParams);
  }
  params.push(input.limit + 1);
  return { query, params, sort };
}

/**
 * One page of products, keyset-paginated on (sort key, id): stable and fast at any depth, and
 * never skipping or repeating a row, even when sort keys tie.
 */
export function listProducts(ctx: ServiceContext, input: CatalogListInput): Promise<Page<ProductSummary>> {
  // The input is parsed (only known keys, in the schema's order): its JSON is a stable key.
  return ctx.catalogCache.read(`list:${JSON.stringify(input)}`, () => loadPage(ctx, input));
}

async function loadPage(ctx: ServiceContext, input: CatalogListInput): Promise<Page<ProductSummary>> {
  const { query, params, sort } = catalogListQuery(input);
  const rows = await sql<ListRow>(ctx.em, query, params);
  const more = rows.length > input.limit;
  const items = more ? rows.slice(0, input.limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(toSummary),
    nextCursor: more && last ? encodeCursor({ sort, key: last.sort_key, id: last.id }) : null,
  };
}

export async function getProduct(ctx: ServiceContext, slug: string): Promise<Product> {
  // A missing product is not kept: a product created a moment later is found at once.
  const product = await ctx.catalogCache.read(`product:${slug}`, async () => {
    const found = await findProduct(ctx.em, { slug });
    if (!found) throw notFound('product');
    return found;
  });
  return product;
}
