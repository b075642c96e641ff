import type { CatalogListInput, CatalogSort, Category, Page, Product, ProductSummary } from '@shop/schemas';
import type { ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { sql } from '../sql.ts';
import { encodeCursor } from './cursor.ts';
import { type CatalogListRow, catalogListQuery } from './list-query.ts';
import { findProduct, toSummary } from './product-row.ts';

// Catalog reads are the same for everyone and may lag a change by a moment (as the instance cache
// does): they read `ctx.replica`. Staff edit products through the admin service, on the primary.

/** `catalog.categories`: every category with its product count (kept by triggers on products). */
export const CATEGORIES_QUERY = `select c.id, c.slug, c.name, c.product_count as "productCount" from categories c order by c.name`;

export function listCategories(ctx: ServiceContext): Promise<Category[]> {
  return ctx.catalogCache.read('categories', () => sql<Category>(ctx.replica, CATEGORIES_QUERY));
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
  return catalogPage(await sql<CatalogListRow>(ctx.replica, query, params), input.limit, sort);
}

/** The page a catalogListQuery's rows make (it reads one row more than the page): pure, for the floor too. */
export function catalogPage(rows: CatalogListRow[], limit: number, sort: CatalogSort): Page<ProductSummary> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(toSummary),
    nextCursor: more && last ? encodeCursor({ sort, key: last.sort_key, id: last.id }) : null,
  };
}

export async function getProduct(ctx: ServiceContext, slug: string): Promise<Product> {
  // A missing product is not kept: a product created a moment later is found at once.
  const product = await ctx.catalogCache.read(`product:${slug}`, async () => {
    const found = await findProduct(ctx.replica, { slug });
    if (!found) throw notFound('product');
    return found;
  });
  return product;
}
