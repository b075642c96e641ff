import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type AdminAdjustStockInput,
  type AdminOrderListInput,
  type AdminProductUpsertInput,
  type AdminSetStatusInput,
  MAX_STOCK,
  type Order,
  type Page,
  type Product,
} from '@shop/schemas';
import { requireStaffFactor } from '../auth/mfa.service.ts';
import { findProduct } from '../catalog/product-row.ts';
import type { AuthedContext } from '../context.ts';
import { badRequest, notFound, ShopError } from '../errors.ts';
import { changeStatus, pageOrders } from '../orders/orders.service.ts';
import { sql, violatesUnique } from '../sql.ts';
import { announceStatsChanged } from '../stats/stats.service.ts';

// The router admits staff only; checked here too (the role and the second factor), so no other
// caller can reach these by mistake.
export function requireStaff(ctx: AuthedContext): void {
  if (ctx.user.role !== 'staff') throw new ShopError('FORBIDDEN', 'staff only');
  requireStaffFactor(ctx);
}

/** Read with SQL rather than through the identity map, so it is the row just written. */
async function loadProduct(em: EntityManager, id: number): Promise<Product> {
  const product = await findProduct(em, { id });
  if (!product) throw notFound('product');
  return product;
}

/**
 * Creates a product (without `id`) or replaces an existing one's fields. On an update, an
 * omitted image or stock keeps the current one; a new product gets the image at its slug and
 * no stock.
 */
export async function upsertProduct(ctx: AuthedContext, input: AdminProductUpsertInput): Promise<Product> {
  requireStaff(ctx);
  const [category] = await sql<{ id: number }>(ctx.em, 'select id from categories where slug = ?', [input.categorySlug]);
  if (!category) throw badRequest(`unknown category ${input.categorySlug}`);
  let rows: { id: number }[];
  try {
    rows =
      input.id === undefined
        ? await sql<{ id: number }>(
            ctx.em,
            `insert into products (slug, name, description, price_cents, currency, category_id, image_url, stock)
             values (?, ?, ?, ?, ?, ?, ?, ?) returning id`,
            [
              input.slug,
              input.name,
              input.description,
              input.priceCents,
              ctx.currency,
              category.id,
              input.imageUrl ?? `/img/products/${input.slug}.svg`,
              input.stock ?? 0,
            ],
          )
        : await sql<{ id: number }>(
            ctx.em,
            `update products
             set slug = ?, name = ?, description = ?, price_cents = ?, category_id = ?,
                 image_url = coalesce(?, image_url), stock = coalesce(?::int, stock)
             where id = ? returning id`,
            [
              input.slug,
              input.name,
              input.description,
              input.priceCents,
              category.id,
              input.imageUrl ?? null,
              input.stock ?? null,
              input.id,
            ],
          );
  } catch (error) {
    if (violatesUnique(error, 'products_slug_unique')) {
      throw new ShopError('CONFLICT', `another product has the slug ${input.slug} already`);
    }
    throw error;
  }
  const [row] = rows;
  if (!row) throw notFound('product');
  const product = await loadProduct(ctx.em, row.id);
  await Promise.all([ctx.catalogCache.changed(), announceStatsChanged(ctx.bus)]);
  return product;
}

/**
 * Adds to or takes from a product's stock in one conditional update: no read-then-write gap in
 * which a checkout or another adjustment could slip, and CHECK (stock >= 0) behind it.
 */
export async function adjustStock(ctx: AuthedContext, input: AdminAdjustStockInput): Promise<Product> {
  requireStaff(ctx);
  const { productId, delta } = input;
  // Adding is capped where the upsert input caps stock; taking away is always allowed down to 0.
  const [row] = await sql<{ id: number }>(
    ctx.em,
    `update products set stock = stock + ?
     where id = ? and stock + ? >= 0 and (? < 0 or stock + ? <= ?)
     returning id`,
    [delta, productId, delta, delta, delta, MAX_STOCK],
  );
  if (row) {
    const product = await loadProduct(ctx.em, row.id);
    await Promise.all([ctx.catalogCache.changed(), announceStatsChanged(ctx.bus)]);
    return product;
  }
  const [current] = await sql<{ stock: number }>(ctx.em, 'select stock from products where id = ?', [productId]);
  if (!current) throw notFound('product');
  if (delta < 0) {
    throw new ShopError('CONFLICT', `only ${current.stock} in stock: cannot take away ${-delta}`, { stock: current.stock });
  }
  throw new ShopError('CONFLICT', `stock may not exceed ${MAX_STOCK}`, { stock: current.stock });
}

/** Every user's orders, newest first, optionally of one status. */
export async function listOrders(ctx: AuthedContext, input: AdminOrderListInput): Promise<Page<Order>> {
  requireStaff(ctx);
  return pageOrders(ctx.em, { status: input.status }, input);
}

export async function setOrderStatus(ctx: AuthedContext, input: AdminSetStatusInput): Promise<Order> {
  requireStaff(ctx);
  return changeStatus(ctx, input.id, input.status);
}
