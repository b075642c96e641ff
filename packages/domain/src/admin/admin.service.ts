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
  type ProductOption,
  type VariantInput,
} from '@shop/schemas';
import { requireStaffFactor } from '../auth/mfa.service.ts';
import { findProduct } from '../catalog/product-row.ts';
import { pickVariant } from '../catalog/variants.ts';
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

type Tx = EntityManager;

/** The product's row, written; its variants are written after it (see upsertProduct). */
async function writeProduct(tx: Tx, ctx: AuthedContext, input: AdminProductUpsertInput, categoryId: number): Promise<number | null> {
  if (input.id === undefined) {
    // Its one variant comes from this price and stock (the products trigger); replaced below
    // when the input lists variants.
    const [row] = await sql<{ id: number }>(
      tx,
      `insert into products (slug, name, description, price_cents, currency, category_id, image_url, stock)
       values (?, ?, ?, ?, ?, ?, ?, ?) returning id`,
      [
        input.slug,
        input.name,
        input.description,
        input.priceCents,
        ctx.currency,
        categoryId,
        input.imageUrl ?? `/img/products/${input.slug}.svg`,
        input.variants ? 0 : (input.stock ?? 0),
      ],
    );
    return row?.id ?? null;
  }
  // Locks the product row first, as checkout does, before any of its variants.
  const [row] = await sql<{ id: number }>(
    tx,
    `update products set slug = ?, name = ?, description = ?, category_id = ?, image_url = coalesce(?, image_url)
     where id = ? returning id`,
    [input.slug, input.name, input.description, categoryId, input.imageUrl ?? null, input.id],
  );
  return row?.id ?? null;
}

/** Without `variants` in the input: the product's one variant takes its price (and stock, if given). */
async function writeOnlyVariant(tx: Tx, productId: number, input: AdminProductUpsertInput): Promise<void> {
  const variant = await pickVariant(tx, productId, undefined).catch((error: unknown) => {
    if (error instanceof ShopError && error.kind === 'BAD_REQUEST') {
      throw badRequest('this product has several variants: send them all (variants), with their prices and stock');
    }
    throw error;
  });
  await sql(tx, 'update product_variants set price_cents = ?, stock = coalesce(?::int, stock) where id = ?', [
    input.priceCents,
    input.stock ?? null,
    variant.id,
  ]);
}

/**
 * Makes the product's options and variants those of the input: listed ids updated, new variants
 * created, the others removed (out of carts; orders keep their SKU and options). One statement
 * each, so the variants' aggregate trigger runs three times, not once per variant.
 */
async function writeVariants(tx: Tx, productId: number, options: ProductOption[], variants: VariantInput[]): Promise<void> {
  const existing = new Set(
    (await sql<{ id: number }>(tx, 'select id from product_variants where product_id = ?', [productId])).map((v) => v.id),
  );
  const unknown = variants.find((v) => v.id !== undefined && !existing.has(v.id));
  if (unknown) throw notFound(`variant ${unknown.id} of product ${productId}`);
  const kept = variants.flatMap((v) => (v.id === undefined ? [] : [v.id]));
  const rows = (list: VariantInput[]) =>
    JSON.stringify(list.map((v) => ({ id: v.id ?? null, sku: v.sku, options: v.options, price_cents: v.priceCents, stock: v.stock })));
  const recordset = 'jsonb_to_recordset(?::jsonb) as i(id int, sku text, options jsonb, price_cents int, stock int)';
  await sql(tx, 'delete from product_variants where product_id = ? and not (id = any(?::int[]))', [productId, `{${kept.join(',')}}`]);
  if (kept.length) {
    await sql(
      tx,
      `update product_variants v set sku = i.sku, options = i.options, price_cents = i.price_cents, stock = i.stock
       from ${recordset} where v.id = i.id`,
      [rows(variants.filter((v) => v.id !== undefined))],
    );
  }
  const added = variants.filter((v) => v.id === undefined);
  if (added.length) {
    await sql(
      tx,
      `insert into product_variants (product_id, sku, options, price_cents, stock)
       select ?, i.sku, i.options, i.price_cents, i.stock from ${recordset}`,
      [productId, rows(added)],
    );
  }
  await sql(tx, 'delete from product_options where product_id = ?', [productId]);
  if (options.length) {
    await sql(
      tx,
      `insert into product_options (product_id, position, name, option_values)
       select ?, o.ord, o.j->>'name', o.j->'values' from jsonb_array_elements(?::jsonb) with ordinality as o(j, ord)`,
      [productId, JSON.stringify(options)],
    );
  }
}

/**
 * Creates a product (without `id`) or replaces an existing one's fields, in one transaction. On an
 * update, an omitted image or stock keeps the current one; a new product gets the image at its
 * slug and no stock. With `variants`, the product's options and variants become the input's (its
 * price and stock are then theirs); without, it has one variant, priced `priceCents`.
 */
export async function upsertProduct(ctx: AuthedContext, input: AdminProductUpsertInput): Promise<Product> {
  requireStaff(ctx);
  const [category] = await sql<{ id: number }>(ctx.em, 'select id from categories where slug = ?', [input.categorySlug]);
  if (!category) throw badRequest(`unknown category ${input.categorySlug}`);
  const id = await ctx.em
    .transactional(async (tx) => {
      const productId = await writeProduct(tx, ctx, input, category.id);
      if (productId === null) throw notFound('product');
      if (input.variants) await writeVariants(tx, productId, input.options ?? [], input.variants);
      else if (input.id !== undefined) await writeOnlyVariant(tx, productId, input);
      return productId;
    })
    .catch((error: unknown) => {
      if (violatesUnique(error, 'products_slug_unique')) {
        throw new ShopError('CONFLICT', `another product has the slug ${input.slug} already`);
      }
      if (violatesUnique(error, 'product_variants_sku_unique')) {
        throw new ShopError('CONFLICT', 'another variant has one of these SKUs already');
      }
      throw error;
    });
  const product = await loadProduct(ctx.em, id);
  await Promise.all([ctx.catalogCache.changed(), announceStatsChanged(ctx.bus)]);
  return product;
}

/**
 * Adds to or takes from a variant's stock (the product's only one, unless named) in one
 * conditional update: no read-then-write gap in which a checkout or another adjustment could slip,
 * and CHECK (stock >= 0) behind it. The product row is locked first, as checkout locks it.
 */
export async function adjustStock(ctx: AuthedContext, input: AdminAdjustStockInput): Promise<Product> {
  requireStaff(ctx);
  const { productId, delta } = input;
  await ctx.em.transactional(async (tx) => {
    const [product] = await sql<{ id: number }>(tx, 'select id from products where id = ? for no key update', [productId]);
    if (!product) throw notFound('product');
    const variant = await pickVariant(tx, productId, input.variantId);
    // Adding is capped where the upsert input caps stock; taking away is always allowed down to 0.
    const [row] = await sql<{ id: number }>(
      tx,
      `update product_variants set stock = stock + ?
       where id = ? and stock + ? >= 0 and (? < 0 or stock + ? <= ?)
       returning id`,
      [delta, variant.id, delta, delta, delta, MAX_STOCK],
    );
    if (row) return;
    // Under the product's lock, the stock read before is still the stock.
    if (delta < 0) {
      throw new ShopError('CONFLICT', `only ${variant.stock} in stock: cannot take away ${-delta}`, { stock: variant.stock });
    }
    throw new ShopError('CONFLICT', `stock may not exceed ${MAX_STOCK}`, { stock: variant.stock });
  });
  const product = await loadProduct(ctx.em, productId);
  await Promise.all([ctx.catalogCache.changed(), announceStatsChanged(ctx.bus)]);
  return product;
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
