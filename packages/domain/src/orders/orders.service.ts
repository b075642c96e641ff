import type { EntityManager } from '@mikro-orm/postgresql';
import type { Address, Order, OrderLine, OrderStatus, OrdersListInput, Page } from '@shop/schemas';
import type { AuthedContext, ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { type Db, sql } from '../sql.ts';
import { decodeOrderCursor, encodeOrderCursor } from './cursor.ts';
import { publishOrderEvent, recordOrderEvent } from './events.ts';
import { transition } from './status.ts';

export interface OrderRow {
  id: string;
  /** bigint, which the driver returns as text. */
  number: string;
  status: OrderStatus;
  /** ISO-8601 UTC, printed by PostgreSQL (the driver would return its own text format). */
  created_at: string;
  total_cents: number;
  currency: string;
  shipping_address: Address;
  sort_key: string;
}

interface LineRow {
  order_id: string;
  product_id: number;
  name: string;
  unit_price_cents: number;
  quantity: number;
  line_total_cents: number;
}

/** An order's columns from a relation named `o` (orders, or a CTE returning its columns). */
export const ORDER_COLUMNS = `o.id, o.number::text as number, o.status,
  to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
  o.total_cents, o.currency, o.shipping_address,
  (extract(epoch from o.created_at) * 1000000)::bigint::text as sort_key`;

/** Orders with their lines: one query for the lines of all of them, whatever their number. */
export async function withLines(db: Db, rows: readonly OrderRow[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const lineRows = await sql<LineRow>(
    db,
    `select order_id, product_id, name, unit_price_cents, quantity, line_total_cents
     from order_lines where order_id in (?) order by id`,
    [rows.map((r) => r.id)],
  );
  const linesByOrder = new Map<string, OrderLine[]>();
  for (const l of lineRows) {
    const line = toOrderLine(l);
    const lines = linesByOrder.get(l.order_id);
    if (lines) lines.push(line);
    else linesByOrder.set(l.order_id, [line]);
  }
  return rows.map((r) => toOrder(r, linesByOrder.get(r.id) ?? []));
}

/** An order line from its columns (as stored, or as the checkout is about to store them). */
export function toOrderLine(row: Omit<LineRow, 'order_id'>): OrderLine {
  return {
    productId: row.product_id,
    name: row.name,
    unitPriceCents: row.unit_price_cents,
    quantity: row.quantity,
    lineTotalCents: row.line_total_cents,
  };
}

export function toOrder(row: OrderRow, lines: OrderLine[]): Order {
  return {
    id: row.id,
    number: Number(row.number),
    status: row.status,
    createdAt: row.created_at,
    lines,
    totalCents: row.total_cents,
    currency: row.currency,
    shippingAddress: row.shipping_address,
  };
}

/** One order, or null; with `userId`, only if that user placed it. */
export async function loadOrder(em: EntityManager, id: string, userId?: string): Promise<Order | null> {
  const rows = await sql<OrderRow>(
    em,
    `select ${ORDER_COLUMNS} from orders o where o.id = ?${userId === undefined ? '' : ' and o.user_id = ?'}`,
    userId === undefined ? [id] : [id, userId],
  );
  const [order] = await withLines(em, rows);
  return order ?? null;
}

export interface OrderFilter {
  userId?: string | undefined;
  status?: OrderStatus | undefined;
}

/**
 * One page of orders, newest first, keyset-paginated on (created_at, id): orders placed in one
 * instant tie on created_at and only the id orders them, so no row is skipped or repeated.
 */
export async function pageOrders(
  em: EntityManager,
  filter: OrderFilter,
  page: { cursor?: string | undefined; limit: number },
): Promise<Page<Order>> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.userId !== undefined) {
    where.push('o.user_id = ?');
    params.push(filter.userId);
  }
  if (filter.status !== undefined) {
    where.push('o.status = ?');
    params.push(filter.status);
  }
  if (page.cursor) {
    const cursor = decodeOrderCursor(page.cursor);
    where.push(`(o.created_at, o.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::uuid)`);
    params.push(cursor.key, cursor.id);
  }
  params.push(page.limit + 1);
  const rows = await sql<OrderRow>(
    em,
    `select ${ORDER_COLUMNS} from orders o
     ${where.length ? `where ${where.join(' and ')}` : ''}
     order by o.created_at desc, o.id desc
     limit ?`,
    params,
  );
  const more = rows.length > page.limit;
  const items = more ? rows.slice(0, page.limit) : rows;
  const last = items.at(-1);
  return {
    items: await withLines(em, items),
    nextCursor: more && last ? encodeOrderCursor({ key: last.sort_key, id: last.id }) : null,
  };
}

/** Puts a cancelled order's quantities back on the shelf, inside the caller's transaction. */
async function returnStock(em: EntityManager, orderId: string): Promise<void> {
  // Locked in id order, as checkout locks them, so a cancellation and a checkout cannot deadlock.
  await sql(
    em,
    `select p.id from products p
     where p.id in (select l.product_id from order_lines l where l.order_id = ?)
     order by p.id for update`,
    [orderId],
  );
  await sql(
    em,
    `update products p set stock = p.stock + l.quantity
     from (select product_id, sum(quantity)::int as quantity from order_lines where order_id = ? group by product_id) l
     where p.id = l.product_id`,
    [orderId],
  );
}

/**
 * The single path of every status change (a shopper's cancellation, staff's setStatus): locks
 * the order row so concurrent changes serialize, checks the transition, and returns stock for a
 * cancellation in the same transaction. With `ownerId`, another user's order is NOT_FOUND.
 */
export async function changeStatus(ctx: ServiceContext, id: string, to: OrderStatus, scope: { ownerId?: string } = {}): Promise<Order> {
  const { order, event } = await ctx.em.transactional(async (em) => {
    const owned = scope.ownerId !== undefined;
    const [row] = await sql<{ status: OrderStatus }>(
      em,
      `select status from orders where id = ?${owned ? ' and user_id = ?' : ''} for update`,
      owned ? [id, scope.ownerId] : [id],
    );
    if (!row) throw notFound('order');
    const status = transition(row, to);
    await sql(em, 'update orders set status = ?, updated_at = now() where id = ?', [status, id]);
    if (status === 'cancelled') await returnStock(em, id);
    const event = await recordOrderEvent(em, id, status);
    const updated = await loadOrder(em, id);
    if (!updated) throw notFound('order');
    return { order: updated, event };
  });
  // Published only once committed, so subscribers never hear of a change that was rolled back.
  await publishOrderEvent(ctx, event, order);
  return order;
}

export function listOrders(ctx: AuthedContext, input: OrdersListInput): Promise<Page<Order>> {
  return pageOrders(ctx.em, { userId: ctx.user.id }, input);
}

/** The caller's order; another user's order is NOT_FOUND, revealing nothing about it. */
export async function getOrder(ctx: AuthedContext, id: string): Promise<Order> {
  const order = await loadOrder(ctx.em, id, ctx.user.id);
  if (!order) throw notFound('order');
  return order;
}

export function cancelOrder(ctx: AuthedContext, id: string): Promise<Order> {
  return changeStatus(ctx, id, 'cancelled', { ownerId: ctx.user.id });
}
