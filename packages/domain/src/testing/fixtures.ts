// Test fixtures written with SQL directly (products, carts, orders), so a feature's tests do not
// depend on another feature's services.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Address, Cart } from '@shop/schemas';
import { sql } from '../sql.ts';

export const ADDRESS: Address = {
  name: 'Ada Lovelace',
  line1: '12 Analytical St',
  line2: undefined,
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
};

/** A cart without lines or code, as every reader of a cart that does not exist yet gets it. */
export const EMPTY_CART: Cart = {
  lines: [],
  itemCount: 0,
  subtotalCents: 0,
  currency: 'EUR',
  code: null,
  discountCents: 0,
  totalCents: 0,
  codeProblem: null,
};

export async function createCategory(em: EntityManager, slug = 'test-things', name = 'Test things'): Promise<void> {
  await sql(em, 'insert into categories (slug, name) values (?, ?) on conflict (slug) do nothing', [slug, name]);
}

let productSeq = 0;
/** A product in the `test-things` category (created if missing); returns its id. */
export async function createProduct(
  em: EntityManager,
  {
    stock,
    priceCents = 1_000,
    name,
    slugPrefix = 'test-product',
    imageUrl = '/img/products/test.svg',
  }: { stock: number; priceCents?: number; name?: string; slugPrefix?: string; imageUrl?: string },
): Promise<number> {
  await createCategory(em);
  productSeq++;
  const slug = `${slugPrefix}-${process.pid}-${productSeq}`;
  const [row] = await sql<{ id: number }>(
    em,
    `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
     values (?, ?, 'A product for tests.', ?, ?, (select id from categories where slug = 'test-things'), ?)
     returning id`,
    [slug, name ?? `Test Product ${productSeq}`, priceCents, stock, imageUrl],
  );
  if (!row) throw new Error('product insert returned nothing');
  return row.id;
}

/**
 * Replaces the product's variants with these (options, stock, price), the product's options made
 * from their option values in order of appearance; returns the new variants' ids in the given order.
 */
export async function setVariants(
  em: EntityManager,
  productId: number,
  variants: readonly { options: Record<string, string>; stock: number; priceCents?: number }[],
): Promise<number[]> {
  const names = [...new Set(variants.flatMap((v) => Object.keys(v.options)))];
  const options = names.map((name) => ({ name, values: [...new Set(variants.map((v) => v.options[name] ?? ''))] }));
  await sql(em, 'delete from product_options where product_id = ?', [productId]);
  await sql(
    em,
    `insert into product_options (product_id, position, name, option_values)
     select ?, o.ord, o.j->>'name', o.j->'values' from jsonb_array_elements(?::jsonb) with ordinality as o(j, ord)`,
    [productId, JSON.stringify(options)],
  );
  await sql(em, 'delete from product_variants where product_id = ?', [productId]);
  const rows = await sql<{ id: number }>(
    em,
    `insert into product_variants (product_id, sku, options, price_cents, stock)
     select ?, ? || '-' || v.ord, v.j->'options', coalesce((v.j->>'priceCents')::int, 1000), (v.j->>'stock')::int
     from jsonb_array_elements(?::jsonb) with ordinality as v(j, ord) order by v.ord
     returning id`,
    [productId, `variant-${productId}`, JSON.stringify(variants)],
  );
  return rows.map((r) => r.id);
}

/** The stock of one variant. */
export async function variantStockOf(em: EntityManager, variantId: number): Promise<number> {
  const [row] = await sql<{ stock: number }>(em, 'select stock from product_variants where id = ?', [variantId]);
  if (!row) throw new Error(`no variant ${variantId}`);
  return row.stock;
}

let promotionSeq = 0;
/** A promotion code (a new one per call unless `code` is given), live unless told otherwise; returns its id and code. */
export async function createPromotion(
  em: EntityManager,
  {
    code = `TEST${process.pid}X${++promotionSeq}`,
    kind = 'percent',
    value = 10,
    minSubtotalCents = 0,
    usageLimit = null,
    usedCount = 0,
    active = true,
    startsAt = null,
    endsAt = null,
  }: {
    code?: string;
    kind?: 'percent' | 'fixed';
    value?: number;
    minSubtotalCents?: number;
    usageLimit?: number | null;
    usedCount?: number;
    active?: boolean;
    startsAt?: string | null;
    endsAt?: string | null;
  } = {},
): Promise<{ id: number; code: string }> {
  const [row] = await sql<{ id: number }>(
    em,
    `insert into promotions (code, kind, value, min_subtotal_cents, usage_limit, used_count, active, starts_at, ends_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
    [code, kind, value, minSubtotalCents, usageLimit, usedCount, active, startsAt, endsAt],
  );
  if (!row) throw new Error('promotion insert returned nothing');
  return { id: row.id, code };
}

/** How often the promotion has been used. */
export async function usesOf(em: EntityManager, promotionId: number): Promise<number> {
  const [row] = await sql<{ used_count: number }>(em, 'select used_count from promotions where id = ?', [promotionId]);
  if (!row) throw new Error(`no promotion ${promotionId}`);
  return row.used_count;
}

/** Puts the promotion on the user's cart directly, as cart.applyCode would. */
export async function setCartCode(em: EntityManager, userId: string, promotionId: number | null): Promise<void> {
  await sql(em, 'update carts set promotion_id = ? where user_id = ?', [promotionId, userId]);
}

/**
 * Sets the user's cart to exactly these [productId, quantity, variantId?] lines, creating the cart if
 * needed; without a variant, the line is the product's only one.
 */
export async function fillCart(
  em: EntityManager,
  userId: string,
  lines: readonly (readonly [number, number] | readonly [number, number, number])[],
): Promise<string> {
  const [cart] = await sql<{ id: string }>(
    em,
    'insert into carts (user_id) values (?) on conflict (user_id) do update set updated_at = now() returning id',
    [userId],
  );
  if (!cart) throw new Error('cart insert returned nothing');
  await sql(em, 'delete from cart_items where cart_id = ?', [cart.id]);
  for (const [productId, quantity, variantId] of lines) {
    await sql(em, 'insert into cart_items (cart_id, product_id, variant_id, quantity) values (?, ?, ?, ?)', [
      cart.id,
      productId,
      variantId ?? null,
      quantity,
    ]);
  }
  return cart.id;
}

export async function cartLines(em: EntityManager, userId: string): Promise<[number, number][]> {
  const items = await sql<{ product_id: number; quantity: number }>(
    em,
    `select i.product_id, i.quantity from cart_items i join carts c on c.id = i.cart_id where c.user_id = ? order by i.product_id`,
    [userId],
  );
  return items.map((i) => [i.product_id, i.quantity]);
}

export async function stockOf(em: EntityManager, productId: number): Promise<number> {
  const [row] = await sql<{ stock: number }>(em, 'select stock from products where id = ?', [productId]);
  if (!row) throw new Error(`no product ${productId}`);
  return row.stock;
}

export async function orderCount(em: EntityManager, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }>(em, 'select count(*)::int as n from orders where user_id = ?', [userId]);
  return row?.n ?? 0;
}

/** The settled outcome of a call: its value, or the ShopError kind it failed with. */
export async function outcome<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; kind: string; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    const kind = typeof error === 'object' && error !== null && 'kind' in error ? String(error.kind) : 'unknown';
    return { ok: false, kind, error };
  }
}
