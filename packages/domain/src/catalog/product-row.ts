import type { Product, ProductOption, ProductSummary, Variant } from '@shop/schemas';
import { type Db, sql } from '../sql.ts';
import { optionsInOrder } from './variants.ts';

/** How every read of products selects them (from `products p join categories c`). */
export const PRODUCT_SUMMARY_COLUMNS = `p.id, p.slug, p.name, p.price_cents, p.currency, p.image_url, p.stock,
  c.slug as category_slug, c.name as category_name`;

// Formatted by PostgreSQL: a JavaScript Date would round away the microseconds differently.
// The options and variants come along as JSON, from their tables' primary and unique indexes.
const PRODUCT_COLUMNS = `${PRODUCT_SUMMARY_COLUMNS}, p.description,
  to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
  (select coalesce(json_agg(json_build_object('name', o.name, 'values', o.option_values) order by o.position), '[]')
   from product_options o where o.product_id = p.id) as options,
  (select coalesce(json_agg(json_build_object('id', v.id, 'sku', v.sku, 'options', ${optionsInOrder('v.options', 'v.product_id')}, 'priceCents', v.price_cents,
     'stock', v.stock) order by v.id), '[]')
   from product_variants v where v.product_id = p.id) as variants`;

export interface ProductSummaryRow {
  id: number;
  slug: string;
  name: string;
  price_cents: number;
  currency: string;
  image_url: string;
  stock: number;
  category_slug: string;
  category_name: string;
}

interface ProductRow extends ProductSummaryRow {
  description: string;
  created_at: string;
  options: ProductOption[];
  variants: Variant[];
}

export function toSummary(row: ProductSummaryRow): ProductSummary {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    priceCents: row.price_cents,
    currency: row.currency,
    imageUrl: row.image_url,
    stock: row.stock,
    category: { slug: row.category_slug, name: row.category_name },
  };
}

/** One product by id or slug, as the contract's Product, or null. */
export async function findProduct(db: Db, by: { id: number } | { slug: string }): Promise<Product | null> {
  const [column, value] = 'id' in by ? ['p.id', by.id] : ['p.slug', by.slug];
  const [row] = await sql<ProductRow>(
    db,
    `select ${PRODUCT_COLUMNS} from products p join categories c on c.id = p.category_id where ${column} = ?`,
    [value],
  );
  return row
    ? { ...toSummary(row), description: row.description, createdAt: row.created_at, options: row.options, variants: row.variants }
    : null;
}
