import type { ProductSummary, WishlistItemInput } from '@shop/schemas';
import { PRODUCT_SUMMARY_COLUMNS, type ProductSummaryRow, toSummary } from '../catalog/product-row.ts';
import type { AuthedContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { sql } from '../sql.ts';

/** The user's wishlist, most recently added first, with the catalog's current data. */
export async function listItems(ctx: AuthedContext): Promise<ProductSummary[]> {
  const rows = await sql<ProductSummaryRow>(
    ctx.em,
    `select ${PRODUCT_SUMMARY_COLUMNS}
     from wishlist_items w
     join products p on p.id = w.product_id
     join categories c on c.id = p.category_id
     where w.user_id = ?
     order by w.added_at desc, w.product_id desc`,
    [ctx.user.id],
  );
  return rows.map(toSummary);
}

/** Adds a product; adding it again changes nothing (it keeps its place in the list). */
export async function addItem(ctx: AuthedContext, input: WishlistItemInput): Promise<ProductSummary[]> {
  const [product] = await sql<{ id: number }>(ctx.em, 'select id from products where id = ?', [input.productId]);
  if (!product) throw notFound('product');
  await sql(ctx.em, 'insert into wishlist_items (user_id, product_id) values (?, ?) on conflict do nothing', [
    ctx.user.id,
    input.productId,
  ]);
  return listItems(ctx);
}

/** Removes a product; removing one that is not there is not an error. */
export async function removeItem(ctx: AuthedContext, input: WishlistItemInput): Promise<ProductSummary[]> {
  await sql(ctx.em, 'delete from wishlist_items where user_id = ? and product_id = ?', [ctx.user.id, input.productId]);
  return listItems(ctx);
}
