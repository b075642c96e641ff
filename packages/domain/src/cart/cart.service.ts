import type { EntityManager } from '@mikro-orm/postgresql';
import { type PreparedStatement, preparedStatement } from '@shop/db';
import {
  type Cart,
  type CartAddInput,
  type CartLine,
  type CartRemoveInput,
  type CartUpdateInput,
  MAX_CART_LINES,
  MAX_LINE_QUANTITY,
  type VariantOptions,
} from '@shop/schemas';
import { optionsInOrder, pickVariant, variantRequired } from '../catalog/variants.ts';
import type { ServiceContext } from '../context.ts';
import { badRequest, notFound, ShopError } from '../errors.ts';
import { CODE_TERMS_COLUMNS, type CodeTermsRow, priceWithCode } from '../promotions/promotion-row.ts';
import { prepared, sql } from '../sql.ts';

/** A cart line: its product's name and picture, its variant's SKU, options, price and stock. */
export interface LineRow {
  product_id: number;
  variant_id: number;
  sku: string;
  options: VariantOptions;
  slug: string;
  name: string;
  image_url: string;
  price_cents: number;
  quantity: number;
  stock: number;
}

/**
 * A line and the cart's code (promotions `pr`, left-joined). A cart without lines reads as one row
 * whose line fields are null; one without a code has null code fields.
 */
export type CartReadRow = { [K in keyof LineRow]: LineRow[K] | null } & { [K in keyof CodeTermsRow]: CodeTermsRow[K] | null };

/**
 * Which carts row is the caller's: the signed-in user's, or the one the guest's session names.
 * A session can only name a guest cart, never a user's.
 */
function owner(
  ctx: ServiceContext,
): { find: PreparedStatement<{ id: string }>; touch: PreparedStatement<{ id: string }>; id: string } | null {
  if (ctx.user) return { find: FIND_USER_CART, touch: TOUCH_USER_CART, id: ctx.user.id };
  if (ctx.session.guestCartId) return { find: FIND_GUEST_CART, touch: TOUCH_GUEST_CART, id: ctx.session.guestCartId };
  return null;
}

// The cart paths' statements, prepared (every cart call runs them). $1 the user or the guest cart.
const USER_CART = 'user_id = $1';
const GUEST_CART = 'id = $1 and user_id is null';
const FIND_USER_CART = preparedStatement<{ id: string }>('cart_find_user', `select id from carts where ${USER_CART}`);
const FIND_GUEST_CART = preparedStatement<{ id: string }>('cart_find_guest', `select id from carts where ${GUEST_CART}`);
const TOUCH_USER_CART = preparedStatement<{ id: string }>(
  'cart_touch_user',
  `update carts set updated_at = now() where ${USER_CART} returning id`,
);
const TOUCH_GUEST_CART = preparedStatement<{ id: string }>(
  'cart_touch_guest',
  `update carts set updated_at = now() where ${GUEST_CART} returning id`,
);
const LOCK_OR_CREATE_USER_CART = preparedStatement<{ id: string }>(
  'cart_lock_or_create',
  'insert into carts (user_id) values ($1) on conflict (user_id) do update set updated_at = now() returning id',
);

/** The caller's cart id, if the cart exists. Reads only. */
async function findCart(ctx: ServiceContext): Promise<string | null> {
  const match = owner(ctx);
  if (!match) return null;
  const [row] = await prepared(ctx.em, match.find, [match.id]);
  return row?.id ?? null;
}

/**
 * The caller's cart id, with its row locked until the transaction ends and updated_at touched.
 * Writes to one cart thus queue up, so each sees the quantities and line count it checks.
 * A signed-in user's cart is created when missing and `create` is set.
 */
export async function lockCart(ctx: ServiceContext, tx: EntityManager, { create }: { create: boolean }): Promise<string | null> {
  if (ctx.user && create) {
    // One statement creates or locks it, race-safe: a concurrent request may create it first.
    const [row] = await prepared(tx, LOCK_OR_CREATE_USER_CART, [ctx.user.id]);
    return row?.id ?? null;
  }
  const match = owner(ctx);
  if (!match) return null;
  const [row] = await prepared(tx, match.touch, [match.id]);
  return row?.id ?? null;
}

const notInStock = (productId: number, variantId: number, stock: number) =>
  new ShopError('CONFLICT', `only ${stock} of this product in stock`, { productId, variantId, available: stock });

/** $1 cart. */
const READ_CART = preparedStatement<CartReadRow>(
  'cart_read',
  `select ci.product_id, ci.variant_id, v.sku, ${optionsInOrder('v.options', 'v.product_id')} as options, p.slug, p.name, p.image_url, v.price_cents, ci.quantity, v.stock,
          ${CODE_TERMS_COLUMNS}
   from carts c
   left join promotions pr on pr.id = c.promotion_id
   left join cart_items ci on ci.cart_id = c.id
   left join products p on p.id = ci.product_id
   left join product_variants v on v.id = ci.variant_id
   where c.id = $1
   order by ci.added_at, ci.product_id, ci.variant_id`,
);

/** $1 cart, $2 variant. */
const LINE_AND_COUNT = preparedStatement<{ quantity: number | null; lines: number }>(
  'cart_line_and_count',
  `select (select quantity from cart_items where cart_id = $1 and variant_id = $2) as quantity,
          (select count(*)::int from cart_items where cart_id = $1) as lines`,
);

/** $1 cart, $2 product, $3 variant, $4 quantity. */
const ADD_TO_LINE = preparedStatement(
  'cart_add_to_line',
  `insert into cart_items (cart_id, product_id, variant_id, quantity) values ($1, $2, $3, $4)
   on conflict (cart_id, variant_id) do update set quantity = cart_items.quantity + excluded.quantity`,
);

/**
 * A cart with the catalog's current prices and stock, and its code's discount as of now (one
 * statement). `db` is the transaction to read in, when the caller holds the cart's lock.
 */
export async function readCart(ctx: ServiceContext, cartId: string | null, db: EntityManager = ctx.em): Promise<Cart> {
  const rows = cartId ? await prepared(db, READ_CART, [cartId]) : [];
  const lines = rows.filter(isLine).map(
    (r): CartLine => ({
      productId: r.product_id,
      variantId: r.variant_id,
      sku: r.sku,
      options: r.options,
      slug: r.slug,
      name: r.name,
      imageUrl: r.image_url,
      priceCents: r.price_cents,
      quantity: r.quantity,
      stock: r.stock,
      lineTotalCents: r.price_cents * r.quantity,
    }),
  );
  const subtotalCents = lines.reduce((sum, line) => sum + line.lineTotalCents, 0);
  const [first] = rows;
  return {
    lines,
    itemCount: lines.reduce((sum, line) => sum + line.quantity, 0),
    subtotalCents,
    currency: ctx.currency,
    ...priceWithCode(subtotalCents, first && hasCode(first) ? first : null),
  };
}

const isLine = (row: CartReadRow): row is CartReadRow & LineRow => row.product_id !== null;
const hasCode = (row: CartReadRow): row is CartReadRow & CodeTermsRow => row.promotion_id !== null;

/** The caller's cart; empty (and nothing created) when there is none yet. */
export async function getCart(ctx: ServiceContext): Promise<Cart> {
  return readCart(ctx, await findCart(ctx));
}

/** Adds to the variant's line (or starts one); a guest's first add creates their cart. */
export async function addItem(ctx: ServiceContext, input: CartAddInput): Promise<Cart> {
  const cartId = await ctx.em.transactional(async (tx) => {
    const lockedId = await lockCart(ctx, tx, { create: true });
    const variant = await pickVariant(tx, input.productId, input.variantId);
    // After the lock, so the line and the count are what the writer before committed.
    const [current] = await prepared(tx, LINE_AND_COUNT, [lockedId, variant.id]);
    const stock = variant.stock;
    const existing = current?.quantity ?? null;
    const quantity = (existing ?? 0) + input.quantity;
    if (quantity > MAX_LINE_QUANTITY) {
      throw badRequest(`a cart line holds at most ${MAX_LINE_QUANTITY} of a product; this one has ${existing ?? 0} already`);
    }
    if (quantity > stock) throw notInStock(input.productId, variant.id, stock);
    if (existing === null && (current?.lines ?? 0) >= MAX_CART_LINES) {
      throw badRequest(`a cart holds at most ${MAX_CART_LINES} different products`);
    }
    // Only a guest can be without a cart here; the cart is created after the checks so a failed
    // add leaves the session as it was.
    const cartId = lockedId ?? (await createGuestCart(ctx, tx));
    // Increments in the database, so no add is lost even without the cart lock.
    await prepared(tx, ADD_TO_LINE, [cartId, input.productId, variant.id, input.quantity]);
    return cartId;
  });
  return readCart(ctx, cartId);
}

export async function createGuestCart(ctx: ServiceContext, tx: EntityManager): Promise<string> {
  const [row] = await sql<{ id: string }>(tx, 'insert into carts default values returning id');
  if (!row) throw new Error('insert into carts returned no row');
  // Inside the transaction: if the session cannot be written, no orphaned cart remains.
  await ctx.session.setGuestCart(row.id);
  return row.id;
}

/** Sets a line's quantity; 0 removes the line. */
export async function updateItem(ctx: ServiceContext, input: CartUpdateInput): Promise<Cart> {
  const cartId = await ctx.em.transactional(async (tx) => {
    const variant = await pickVariant(tx, input.productId, input.variantId);
    const cartId = await lockCart(ctx, tx, { create: false });
    if (input.quantity === 0) {
      if (cartId) await sql(tx, 'delete from cart_items where cart_id = ? and variant_id = ?', [cartId, variant.id]);
      return cartId;
    }
    const [line] = cartId
      ? await sql<{ quantity: number }>(tx, 'select quantity from cart_items where cart_id = ? and variant_id = ?', [cartId, variant.id])
      : [];
    if (!cartId || !line) throw notFound('cart line');
    if (input.quantity > variant.stock) throw notInStock(input.productId, variant.id, variant.stock);
    await sql(tx, 'update cart_items set quantity = ? where cart_id = ? and variant_id = ?', [input.quantity, cartId, variant.id]);
    return cartId;
  });
  return readCart(ctx, cartId);
}

/**
 * Removes a line; removing one that is not there (or a product that does not exist) is not an
 * error. A product with several variants needs the variant named.
 */
export async function removeItem(ctx: ServiceContext, input: CartRemoveInput): Promise<Cart> {
  const cartId = await ctx.em.transactional(async (tx) => {
    if (input.variantId === undefined) {
      const [counted] = await sql<{ n: number }>(tx, 'select count(*)::int as n from product_variants where product_id = ?', [
        input.productId,
      ]);
      if ((counted?.n ?? 0) > 1) throw variantRequired(input.productId, counted?.n ?? 0);
    }
    const cartId = await lockCart(ctx, tx, { create: false });
    if (cartId) {
      await sql(tx, 'delete from cart_items where cart_id = ? and product_id = ? and variant_id = coalesce(?::int, variant_id)', [
        cartId,
        input.productId,
        input.variantId ?? null,
      ]);
    }
    return cartId;
  });
  return readCart(ctx, cartId);
}

export interface MergeRow {
  product_id: number;
  variant_id: number;
  quantity: number;
  stock: number;
  user_quantity: number | null;
}

/**
 * Moves a guest's cart into the user's at sign-in, in one transaction: quantities are added and
 * clipped to what is in stock (and to the line maximum), variants out of stock are dropped, new
 * lines stop at the cart's line limit, and the guest cart is deleted. Without a guest cart, a no-op.
 */
export async function mergeGuestCart(ctx: ServiceContext, userId: string): Promise<void> {
  const guestCartId = ctx.session.guestCartId;
  if (!guestCartId) return;
  await ctx.em.transactional(async (tx) => {
    // Locked first: a sign-in racing this one then finds the guest cart gone and does nothing.
    const [guest] = await sql<{ id: string; promotion_id: number | null }>(
      tx,
      'select id, promotion_id from carts where id = ? and user_id is null for update',
      [guestCartId],
    );
    if (!guest) return;
    await sql(tx, 'insert into carts (user_id) values (?) on conflict (user_id) do nothing', [userId]);
    // A code the guest applied just now wins over one the account's cart kept from before.
    const [cart] = await sql<{ id: string }>(
      tx,
      'update carts set updated_at = now(), promotion_id = coalesce(?, promotion_id) where user_id = ? returning id',
      [guest.promotion_id, userId],
    );
    if (!cart) throw new Error('the user cart was not created');

    const [counted] = await sql<{ n: number }>(tx, 'select count(*)::int as n from cart_items where cart_id = ?', [cart.id]);
    const lines = await sql<MergeRow>(
      tx,
      `select g.product_id, g.variant_id, g.quantity, v.stock, u.quantity as user_quantity
       from cart_items g
       join product_variants v on v.id = g.variant_id
       left join cart_items u on u.cart_id = ? and u.variant_id = g.variant_id
       where g.cart_id = ?
       order by g.added_at, g.product_id, g.variant_id`,
      [cart.id, guest.id],
    );
    let room = MAX_CART_LINES - (counted?.n ?? 0);
    const merged: { variant_id: number; quantity: number }[] = [];
    for (const line of lines) {
      if (line.stock <= 0) continue;
      if (line.user_quantity === null) {
        if (room <= 0) continue;
        room--;
      }
      const quantity = Math.min((line.user_quantity ?? 0) + line.quantity, line.stock, MAX_LINE_QUANTITY);
      merged.push({ variant_id: line.variant_id, quantity });
    }
    if (merged.length) {
      // One statement for every line; new lines keep the time the guest added them.
      await sql(
        tx,
        `insert into cart_items (cart_id, product_id, variant_id, quantity, added_at)
         select ?, g.product_id, m.variant_id, m.quantity, g.added_at
         from jsonb_to_recordset(?::jsonb) as m(variant_id int, quantity int)
         join cart_items g on g.cart_id = ? and g.variant_id = m.variant_id
         on conflict (cart_id, variant_id) do update set quantity = excluded.quantity`,
        [cart.id, JSON.stringify(merged), guest.id],
      );
    }
    await sql(tx, 'delete from carts where id = ?', [guest.id]);
  });
}
