import type { EntityManager } from '@mikro-orm/postgresql';
import type { Order, OrderStatus, OrdersListInput, Page } from '@shop/schemas';
import type { AuthedContext, ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { queueOrderEmail } from '../mail/outbox.ts';
import { releaseOrderCode } from '../promotions/redeem.ts';
import { sql } from '../sql.ts';
import { announceStatsChanged } from '../stats/stats.service.ts';
import { decodeOrderCursor, encodeOrderCursor } from './cursor.ts';
import { publishOrderEvent, recordOrderEvent } from './events.ts';
import { loadOrder, ORDER_COLUMNS, type OrderRow, withLines } from './order-row.ts';
import { transition } from './status.ts';

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

/**
 * Puts a cancelled order's quantities back on their variants' shelves, inside the caller's
 * transaction. A line whose variant staff have removed since has no shelf to go back to.
 */
async function returnStock(em: EntityManager, orderId: string): Promise<void> {
  // Products, then variants, in id order, as checkout locks them: a cancellation and a checkout
  // cannot deadlock.
  await sql(
    em,
    `select p.id from products p
     where p.id in (select l.product_id from order_lines l where l.order_id = ?)
     order by p.id for no key update`,
    [orderId],
  );
  await sql(
    em,
    `update product_variants v set stock = v.stock + l.quantity
     from (select variant_id, sum(quantity)::int as quantity from order_lines where order_id = ? and variant_id is not null
           group by variant_id) l
     where v.id = l.variant_id`,
    [orderId],
  );
}

/**
 * The single path of every status change (a shopper's cancellation, staff's setStatus): locks
 * the order row so concurrent changes serialize, checks the transition, and returns stock (and
 * the use of its promotion code) for a cancellation in the same transaction. With `ownerId`, another user's order is NOT_FOUND.
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
    if (status === 'cancelled') {
      await returnStock(em, id);
      // After the products, as checkout takes them: products, then the code.
      await releaseOrderCode(em, id);
    }
    const event = await recordOrderEvent(em, id, status);
    await queueOrderEmail(em, id, status);
    const updated = await loadOrder(em, id);
    if (!updated) throw notFound('order');
    return { order: updated, event };
  });
  // Published only once committed, so subscribers never hear of a change that was rolled back.
  await Promise.all([publishOrderEvent(ctx, event, order), announceStatsChanged(ctx.bus)]);
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
