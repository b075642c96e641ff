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

interface SortSpec {
  /** SQL of the sort key, printed as text for the cursor. */
  keyText: string;
  orderBy: string;
  /** Condition for rows after the cursor; `?` placeholders take (key, id). */
  after: string;
}

const SORTS: Record<Exclude<CatalogSort, 'relevance'>, SortSpec> = {
  price_asc: { keyText: 'p.price_cents::text', orderBy: 'p.price_cents asc, p.id asc', after: '(p.price_cents, p.id) > (?::int, ?)' },
  price_desc: { keyText: 'p.price_cents::text', orderBy: 'p.price_cents desc, p.id desc', after: '(p.price_cents, p.id) < (?::int, ?)' },
  // Microseconds since the epoch: exact, unlike a JavaScript Date.
  newest: {
    keyText: '(extract(epoch from p.created_at) * 1000000)::bigint::text',
    orderBy: 'p.created_at desc, p.id desc',
    after: "(p.created_at, p.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?)",
  },
  name: { keyText: 'p.name', orderBy: 'p.name asc, p.id asc', after: '(p.name, p.id) > (?::text, ?)' },
};

const RELEVANCE: SortSpec = {
  keyText: `${RANK}::text`,
  orderBy: `${RANK} desc, p.id asc`,
  after: `(${RANK} < ?::real or (${RANK} = ?::real and p.id > ?))`,
};

export async function listCategories(ctx: ServiceContext): Promise<Category[]> {
  return sql<Category>(
    ctx.em,
    `select c.id, c.slug, c.name, count(p.id)::int as "productCount"
     from categories c left join products p on p.category_id = c.id
     group by c.id order by c.name`,
  );
}

/**
 * One page of products, keyset-paginated on (sort key, id): stable and fast at any depth, and
 * never skipping or repeating a row, even when sort keys tie.
 */
export async function listProducts(ctx: ServiceContext, input: CatalogListInput): Promise<Page<ProductSummary>> {
  const tsquery = input.search ? toPrefixQuery(input.search) : null;
  const sort: CatalogSort = input.sort ?? (tsquery ? 'relevance' : 'newest');
  // Relevance without a search has nothing to rank by: newest first, under its own cursor.
  const spec = sort === 'relevance' ? (tsquery ? RELEVANCE : SORTS.newest) : SORTS[sort];
  const search = input.search ?? '';
  const rankParams = tsquery ? [tsquery, search] : [];

  const where: string[] = [];
  const params: unknown[] = [];
  const needsRank = spec === RELEVANCE;
  // Placeholders are positional: the select list (rank key) comes first, then where, then order.
  if (needsRank) params.push(...rankParams);
  if (tsquery) {
    where.push(`(p.search @@ to_tsquery('english', ?) or ? <% p.name)`);
    params.push(tsquery, search);
  }
  if (input.category) {
    where.push('c.slug = ?');
    params.push(input.category);
  }
  if (input.minPriceCents !== undefined) {
    where.push('p.price_cents >= ?');
    params.push(input.minPriceCents);
  }
  if (input.maxPriceCents !== undefined) {
    where.push('p.price_cents <= ?');
    params.push(input.maxPriceCents);
  }
  if (input.inStock) where.push('p.stock > 0');
  if (input.cursor) {
    const cursor = decodeCursor(input.cursor, sort);
    where.push(spec.after);
    if (needsRank) params.push(...rankParams, cursor.key, ...rankParams, cursor.key, cursor.id);
    else params.push(cursor.key, cursor.id);
  }
  if (needsRank) params.push(...rankParams);
  params.push(input.limit + 1);

  const rows = await sql<ListRow>(
    ctx.em,
    `select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.keyText} as sort_key
     from products p join categories c on c.id = p.category_id
     ${where.length ? `where ${where.join(' and ')}` : ''}
     order by ${spec.orderBy}
     limit ?`,
    params,
  );
  const more = rows.length > input.limit;
  const items = more ? rows.slice(0, input.limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(toSummary),
    nextCursor: more && last ? encodeCursor({ sort, key: last.sort_key, id: last.id }) : null,
  };
}

export async function getProduct(ctx: ServiceContext, slug: string): Promise<Product> {
  const product = await findProduct(ctx.em, { slug });
  if (!product) throw notFound('product');
  return product;
}
