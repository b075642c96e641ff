import type { WishlistItem, WishlistItemInput } from '@shop/schemas';
import { PRODUCT_SUMMARY_COLUMNS, type ProductSummaryRow, toSummary } from '../catalog/product-row.ts';
import type { AuthedContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { sql } from '../sql.ts';

/** The user's wishlist, most recently added first, with the catalog's current data and the variant picked. */
export async function listItems(ctx: AuthedContext): Promise<WishlistItem[]> {
  const rows = await sql<ProductSummaryRow & { variant_id: number | null }>(
    ctx.em,
    `select ${PRODUCT_SUMMARY_COLUMNS}, w.variant_id
     from wishlist_items w
     join products p on p.id = w.product_id
     join categories c on c.id = p.category_id
     where w.user_id = ?
     order by w.added_at desc, w.product_id desc`,
    [ctx.user.id],
  );
  return rows.map((r) => (r.variant_id === null ? toSummary(r) : { ...toSummary(r), variantId: r.variant_id }));
}

/**
 * Adds a product; adding it again changes nothing (it keeps its place in the list) but the variant
 * it remembers, when one is named. The wishlist holds products: any product may be added without one.
 */
export async function addItem(ctx: AuthedContext, input: WishlistItemInput): Promise<WishlistItem[]> {
  const [variant] = await sql<{ product_id: number; variant_id: number | null }>(
    ctx.em,
    `select p.id as product_id, v.id as variant_id from products p
     left join product_variants v on v.product_id = p.id and v.id = ?::int where p.id = ?`,
    [input.variantId ?? null, input.productId],
  );
  if (!variant) throw notFound('product');
  if (input.variantId !== undefined && variant.variant_id === null)
    throw notFound(`variant ${input.variantId} of product ${input.productId}`);
  await sql(
    ctx.em,
    `insert into wishlist_items (user_id, product_id, variant_id) values (?, ?, ?)
     on conflict (user_id, product_id) do update set variant_id = coalesce(excluded.variant_id, wishlist_items.variant_id)`,
    [ctx.user.id, input.productId, variant.variant_id],
  );
  return listItems(ctx);
}

/** Removes a product; removing one that is not there is not an error. */
export async function removeItem(ctx: AuthedContext, input: WishlistItemInput): Promise<WishlistItem[]> {
  await sql(ctx.em, 'delete from wishlist_items where user_id = ? and product_id = ?', [ctx.user.id, input.productId]);
  return listItems(ctx);
}
