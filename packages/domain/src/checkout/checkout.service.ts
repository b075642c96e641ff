import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Address, Order, PlaceOrderInput } from '@shop/schemas';
import type { AuthedContext } from '../context.ts';
import { badRequest, ShopError } from '../errors.ts';
import { publishOrderEvent, recordOrderEvent } from '../orders/events.ts';
import { loadOrder } from '../orders/orders.service.ts';
import { sql } from '../sql.ts';

/** orders.total_cents is an int4: a larger total is refused rather than overflowing. */
export const MAX_ORDER_TOTAL_CENTS = 2_000_000_000;

export interface FingerprintLine {
  productId: number;
  quantity: number;
}

/** A cart line that cannot be filled, as CONFLICT's details list it. */
export interface ShortLine {
  productId: number;
  name: string;
  requested: number;
  available: number;
}

interface CartItemRow {
  product_id: number;
  quantity: number;
}

interface ProductRow {
  id: number;
  name: string;
  price_cents: number;
  stock: number;
}

/** An order line as inserted, in the columns' names. */
interface NewLineRow {
  product_id: number;
  name: string;
  unit_price_cents: number;
  quantity: number;
  line_total_cents: number;
}

interface ExistingOrderRow {
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

/** sha256 of the cart's (productId, quantity) lines in product order, plus the normalized address. */
export function cartFingerprint(lines: readonly FingerprintLine[], address: Address): string {
  const sorted = [...lines].sort((a, b) => a.productId - b.productId).map((l) => [l.productId, l.quantity]);
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
    // before it committed (an order under this key, an emptied cart).
    const [cart] = await sql<{ id: string }>(em, 'select id from carts where user_id = ? for update', [userId]);
    const items = cart
      ? await sql<CartItemRow>(em, 'select product_id, quantity from cart_items where cart_id = ? order by product_id', [cart.id])
      : [];
    const fingerprint = cartFingerprint(
      items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
      address,
    );

    const [existing] = await findByKey(em, userId, input.idempotencyKey);
    if (existing) return { order: await replay(em, existing, items.length === 0, fingerprint, address) };
    if (!cart || items.length === 0) throw badRequest('your cart is empty');

    // A fixed lock order (by id): two checkouts sharing products queue instead of deadlocking.
    const products = await sql<ProductRow>(em, 'select id, name, price_cents, stock from products where id in (?) order by id for update', [
      items.map((i) => i.product_id),
    ]);
    const byId = new Map(products.map((p) => [p.id, p]));
    const short: ShortLine[] = [];
    const lines: NewLineRow[] = [];
    for (const item of items) {
      const product = byId.get(item.product_id);
      if (!product || product.stock < item.quantity) {
        short.push({
          productId: item.product_id,
          name: product?.name ?? `product ${item.product_id}`,
          requested: item.quantity,
          available: product?.stock ?? 0,
        });
        continue;
      }
      // The price is the catalog's now, under the lock, and the line keeps it from here on.
      lines.push({
        product_id: product.id,
        name: product.name,
        unit_price_cents: product.price_cents,
        quantity: item.quantity,
        line_total_cents: product.price_cents * item.quantity,
      });
    }
    if (short.length > 0) {
      const named = short.map((s) => `${s.name} (${s.requested} wanted, ${s.available} in stock)`).join(', ');
      throw new ShopError('CONFLICT', `not enough stock for: ${named}`, { shortLines: short });
    }
    const totalCents = lines.reduce((sum, l) => sum + l.line_total_cents, 0);
    if (totalCents > MAX_ORDER_TOTAL_CENTS) throw badRequest(`an order may total at most ${MAX_ORDER_TOTAL_CENTS} cents`);

    // The unique (user, key) constraint backs up the cart lock: should two inserts with one key
    // ever meet, the second waits for the first and then answers with its order.
    const [inserted] = await sql<{ id: string }>(
      em,
      `insert into orders (user_id, total_cents, currency, shipping_address, idempotency_key, cart_fingerprint)
       values (?, ?, ?, ?::jsonb, ?, ?)
       on conflict on constraint orders_user_idempotency_unique do nothing
       returning id`,
      [userId, totalCents, ctx.currency, JSON.stringify(address), input.idempotencyKey, fingerprint],
    );
    if (!inserted) {
      const [raced] = await findByKey(em, userId, input.idempotencyKey);
      if (!raced) throw new Error('idempotency key conflicted, but no order holds it');
      return { order: await replay(em, raced, false, fingerprint, address) };
    }

    // Rows travel as one JSON parameter: one statement whatever the number of lines.
    await sql(
      em,
      `insert into order_lines (order_id, product_id, name, unit_price_cents, quantity, line_total_cents)
       select ?, (e.l->>'product_id')::int, e.l->>'name', (e.l->>'unit_price_cents')::int,
              (e.l->>'quantity')::int, (e.l->>'line_total_cents')::int
       from jsonb_array_elements(?::jsonb) with ordinality as e(l, ord)
       order by e.ord`,
      [inserted.id, JSON.stringify(lines)],
    );
    await sql(
      em,
      `update products p set stock = p.stock - l.quantity
       from jsonb_to_recordset(?::jsonb) as l(product_id int, quantity int)
       where p.id = l.product_id`,
      [JSON.stringify(lines)],
    );
    // Exactly the lines ordered: an item a cart writer added meanwhile (without the cart lock) stays.
    await sql(em, 'delete from cart_items where cart_id = ? and product_id in (?)', [cart.id, lines.map((l) => l.product_id)]);

    const event = await recordOrderEvent(em, inserted.id, 'placed');
    const order = await loadOrder(em, inserted.id);
    if (!order) throw new Error(`order ${inserted.id} vanished inside its transaction`);
    return { order, event };
  });
  // A new order is news for the shopper's other tabs too; a replayed one is not.
  if (placed.event) await publishOrderEvent(ctx, placed.event, placed.order);
  return placed.order;
}
