import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { preparedStatement } from '@shop/db';
import { type Address, type Order, optionsLabel, type PlaceOrderInput, type VariantOptions } from '@shop/schemas';
import { optionsInOrder } from '../catalog/variants.ts';
import type { AuthedContext } from '../context.ts';
import { badRequest, ShopError } from '../errors.ts';
import { queueOrderEmail } from '../mail/outbox.ts';
import { ORDER_EVENT_CTES, publishOrderEvent } from '../orders/events.ts';
import { loadOrder, ORDER_COLUMNS, type OrderLineRow, type OrderRow, toOrder, toOrderLine } from '../orders/order-row.ts';
import { type Redeemed, redeemCode, releaseUse } from '../promotions/redeem.ts';
import { prepared, sql } from '../sql.ts';
import { announceStatsChanged } from '../stats/stats.service.ts';

/** orders.subtotal_cents is an int4: a larger subtotal is refused rather than overflowing. */
export const MAX_ORDER_TOTAL_CENTS = 2_000_000_000;

export interface FingerprintLine {
  productId: number;
  variantId: number;
  quantity: number;
}

/** A cart line that cannot be filled, as CONFLICT's details list it. */
export interface ShortLine {
  productId: number;
  variantId: number;
  name: string;
  requested: number;
  available: number;
}

/** A cart line with its product and variant, as the checkout reads them under the lock. */
export interface CartLineRow {
  product_id: number;
  variant_id: number;
  quantity: number;
  name: string;
  sku: string;
  options: VariantOptions;
  price_cents: number;
  stock: number;
}

interface CheckoutRead {
  lines: CartLineRow[] | null;
  /** The cart's variants as the statement's snapshot has them, before the locks. */
  cart_variants: number[] | null;
  existing: ExistingOrderRow | null;
}

/** The order as the write statement returns it, with the user's new order-event number. */
interface PlacedRow extends OrderRow {
  seq: string;
}

/** An order line as inserted, in the columns' names. */
type NewLineRow = Omit<OrderLineRow, 'order_id'>;

export interface ExistingOrderRow {
  id: string;
  cart_fingerprint: string;
  shipping_address: Address;
}

/** Spelling a retry may change without meaning another address: case, spacing, Unicode form. */
function normalizeAddress(address: Address): string[] {
  return [address.name, address.line1, address.line2, address.city, address.postalCode, address.country].map((part) =>
    (part ?? '').normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase(),
  );
}

function sameAddress(a: Address, b: Address): boolean {
  return JSON.stringify(normalizeAddress(a)) === JSON.stringify(normalizeAddress(b));
}

/** sha256 of the cart's (productId, variantId, quantity) lines in variant order, plus the normalized address. */
export function cartFingerprint(lines: readonly FingerprintLine[], address: Address): string {
  const sorted = [...lines].sort((a, b) => a.variantId - b.variantId).map((l) => [l.productId, l.variantId, l.quantity]);
  return createHash('sha256')
    .update(JSON.stringify([sorted, normalizeAddress(address)]))
    .digest('hex');
}

/** A request repeating an idempotency key gets that key's order, if it asks for the same thing. */
async function replay(
  em: EntityManager,
  existing: ExistingOrderRow,
  cartEmpty: boolean,
  fingerprint: string,
  address: Address,
): Promise<Order> {
  // An empty cart is the one that order emptied: only the address is left to compare.
  const same = cartEmpty ? sameAddress(existing.shipping_address, address) : existing.cart_fingerprint === fingerprint;
  if (!same) {
    throw new ShopError('UNPROCESSABLE_CONTENT', 'this idempotency key was already used for a different cart or address');
  }
  const order = await loadOrder(em, existing.id);
  if (!order) throw new Error(`order ${existing.id} vanished inside its transaction`);
  return order;
}

function findByKey(em: EntityManager, userId: string, key: string): Promise<ExistingOrderRow[]> {
  return sql<ExistingOrderRow>(em, 'select id, cart_fingerprint, shipping_address from orders where user_id = ? and idempotency_key = ?', [
    userId,
    key,
  ]);
}

/** The caller's cart, locked: concurrent checkouts of one user queue on it. $1 user. */
const LOCK_CART = preparedStatement<{ id: string; promotion_id: number | null }>(
  'checkout_lock_cart',
  'select id, promotion_id from carts where user_id = $1 for update',
);

/**
 * One round trip for the cart's lines (their products, then their variants, locked in a fixed
 * order, by id, so two checkouts sharing products queue instead of deadlocking; the variants'
 * aggregate trigger takes the same product locks) and an order already under this key. No key
 * update: only stock changes, so a cart writer's foreign-key check (key share) never waits on
 * a checkout, nor a checkout on it.
 * $1 cart, $2 user, $3 idempotency key.
 */
const READ_CART = preparedStatement<CheckoutRead>(
  'checkout_read_cart',
  `with lines as (
     select i.product_id, i.variant_id, i.quantity, p.name, v.sku, ${optionsInOrder('v.options', 'v.product_id')} as options, v.price_cents, v.stock
     from cart_items i join products p on p.id = i.product_id join product_variants v on v.id = i.variant_id
     where i.cart_id = $1 order by p.id, v.id for no key update of p, v
   )
   select (select json_agg(lines order by product_id, variant_id) from lines) as lines,
          (select array_agg(variant_id) from cart_items where cart_id = $1) as cart_variants,
          (select json_build_object('id', o.id, 'cart_fingerprint', o.cart_fingerprint, 'shipping_address', o.shipping_address)
           from orders o where o.user_id = $2 and o.idempotency_key = $3) as existing`,
);

/**
 * Every write in one statement (one round trip): the order, its lines, the stock taken,
 * exactly the lines ordered removed from the cart (an item a cart writer added meanwhile,
 * without the cart lock, stays) with its code, and the user's next order-event number (ORDER_EVENT_CTES). Nothing but the
 * order insert happens when it hits the unique (user, key) constraint: should two inserts
 * with one key ever meet, the second waits for the first and then answers with its order.
 * $1 lines (JSON), $2 user, $3 promotion, $4 code, $5 subtotal, $6 discount, $7 total, $8 currency,
 * $9 address (JSON), $10 idempotency key, $11 cart fingerprint, $12 cart.
 */
const PLACE = preparedStatement<PlacedRow>(
  'checkout_place',
  `with input as (
     select l.*, e.ord from jsonb_array_elements($1::jsonb) with ordinality as e(j, ord),
       jsonb_to_record(e.j) as l(product_id int, variant_id int, sku text, options jsonb, name text, unit_price_cents int,
                                 quantity int, line_total_cents int)
   ),
   o as (
     insert into orders (user_id, promotion_id, code, subtotal_cents, discount_cents, total_cents, currency, shipping_address,
                         idempotency_key, cart_fingerprint)
     values ($2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
     on conflict on constraint orders_user_idempotency_unique do nothing
     returning id, user_id, number, status, created_at, code, subtotal_cents, discount_cents, total_cents, currency, shipping_address
   ),
   ol as (
     insert into order_lines (order_id, product_id, variant_id, sku, options, name, unit_price_cents, quantity, line_total_cents)
     select o.id, i.product_id, i.variant_id, i.sku, i.options, i.name, i.unit_price_cents, i.quantity, i.line_total_cents
     from o, input i order by i.ord
   ),
   stock as (
     update product_variants v set stock = v.stock - i.quantity
     from input i where v.id = i.variant_id and exists (select 1 from o)
   ),
   emptied as (
     delete from cart_items where cart_id = $12 and variant_id in (select variant_id from input) and exists (select 1 from o)
   ),
   uncoded as (
     update carts set promotion_id = null where id = $12 and exists (select 1 from o)
   ),
   ${ORDER_EVENT_CTES}
   select ${ORDER_COLUMNS}, seq.order_event_seq::text as seq
   from o, seq`,
);

/**
 * Turns the caller's cart into an order, in one transaction: all lines or none, stock taken,
 * prices snapshotted, the cart emptied. Retrying with the same idempotency key returns the
 * order the first attempt placed.
 */
export async function placeOrder(ctx: AuthedContext, input: PlaceOrderInput): Promise<Order> {
  const userId = ctx.user.id;
  const address = input.shippingAddress;
  const placed = await ctx.em.transactional(async (em): Promise<{ order: Order; event?: { userId: string; seq: number } }> => {
    // Concurrent checkouts of one user queue on the cart row, so each sees what the one
    // before it committed (an order under this key, an emptied cart): the reads below are
    // later statements, with a snapshot taken after the lock was granted.
    const [cart] = await prepared(em, LOCK_CART, [userId]);
    const [read] = await prepared(em, READ_CART, [cart?.id ?? null, userId, input.idempotencyKey]);
    const items = read?.lines ?? [];
    // A line whose variant staff removed while this waited for its lock drops out of the locked
    // rows: the shopper should see the cart change, not an order without it.
    const vanished = (read?.cart_variants ?? []).filter((id) => !items.some((i) => i.variant_id === id));
    if (vanished.length > 0 && !read?.existing) {
      throw new ShopError('CONFLICT', 'your cart changed while ordering (a variant was removed): check it and order again', {
        removedVariants: vanished,
      });
    }
    const fingerprint = cartFingerprint(
      items.map((i) => ({ productId: i.product_id, variantId: i.variant_id, quantity: i.quantity })),
      address,
    );

    if (read?.existing) return { order: await replay(em, read.existing, items.length === 0, fingerprint, address) };
    if (!cart || items.length === 0) throw badRequest('your cart is empty');

    const short: ShortLine[] = [];
    const lines: NewLineRow[] = [];
    for (const item of items) {
      if (item.stock < item.quantity) {
        short.push({
          productId: item.product_id,
          variantId: item.variant_id,
          name: item.name,
          requested: item.quantity,
          available: item.stock,
        });
        continue;
      }
      // The price is the catalog's now, under the lock, and the line keeps it from here on.
      lines.push({
        product_id: item.product_id,
        variant_id: item.variant_id,
        sku: item.sku,
        options: item.options,
        name: item.name,
        unit_price_cents: item.price_cents,
        quantity: item.quantity,
        line_total_cents: item.price_cents * item.quantity,
      });
    }
    if (short.length > 0) {
      const named = short
        .map((s) => {
          const options = optionsLabel(items.find((i) => i.variant_id === s.variantId)?.options ?? {});
          return `${s.name}${options ? ` (${options})` : ''} (${s.requested} wanted, ${s.available} in stock)`;
        })
        .join(', ');
      throw new ShopError('CONFLICT', `not enough stock for: ${named}`, { shortLines: short });
    }
    const subtotalCents = lines.reduce((sum, l) => sum + l.line_total_cents, 0);
    if (subtotalCents > MAX_ORDER_TOTAL_CENTS) throw badRequest(`an order may total at most ${MAX_ORDER_TOTAL_CENTS} cents`);
    // After every other check, so a refused order never holds the code's row; a replay above
    // never reaches it, so a retried key redeems nothing twice.
    const redeemed: Redeemed | null =
      cart.promotion_id === null ? null : await redeemCode(em, cart.promotion_id, subtotalCents, ctx.currency);
    const discountCents = redeemed?.discountCents ?? 0;

    const [written] = await prepared(em, PLACE, [
      JSON.stringify(lines),
      userId,
      redeemed?.promotionId ?? null,
      redeemed?.code ?? null,
      subtotalCents,
      discountCents,
      subtotalCents - discountCents,
      ctx.currency,
      JSON.stringify(address),
      input.idempotencyKey,
      fingerprint,
      cart.id,
    ]);
    if (!written) {
      if (redeemed) await releaseUse(em, redeemed.promotionId);
      const [raced] = await findByKey(em, userId, input.idempotencyKey);
      if (!raced) throw new Error('idempotency key conflicted, but no order holds it');
      return { order: await replay(em, raced, false, fingerprint, address) };
    }
    await queueOrderEmail(em, written.id, 'placed');
    const order = toOrder(written, lines.map(toOrderLine));
    return { order, event: { userId, seq: Number(written.seq) } };
  });
  // A new order is news for the shopper's other tabs and the staff dashboard; a replayed one is not.
  if (placed.event) await Promise.all([publishOrderEvent(ctx, placed.event, placed.order), announceStatsChanged(ctx.bus)]);
  return placed.order;
}
