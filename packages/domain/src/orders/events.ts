import type { Connection } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Order, OrderStatus, OrdersSubscribeInput } from '@shop/schemas';
import type { AuthedContext, ServiceContext } from '../context.ts';
import type { NumberColumn } from '../live/batched.ts';
import { channels, publishQuietly, type Sequenced } from '../live/publish.ts';
import type { LiveRegistry } from '../live/registry.ts';
import { userLiveStream } from '../live/user-stream.ts';
import { sql } from '../sql.ts';
import { ORDER_COLUMNS, type OrderRow, withLines } from './order-row.ts';

export interface OrderEventMessage {
  seq: number;
  order: Order;
}

/**
 * Two CTEs that number and record an event for the order in the relation `o` (one row, with
 * columns id, user_id and status), written inside the statement that changes the order. The number comes
 * from the user row under its lock, so numbers are dense per user and visible in commit order:
 * orders.onUpdate can resume after any of them without a gap. `seq` answers the number.
 */
export const ORDER_EVENT_CTES = `seq as (
    update users u set order_event_seq = u.order_event_seq + 1 from o where u.id = o.user_id
    returning u.id as user_id, u.order_event_seq
  ),
  event as (
    insert into order_events (user_id, seq, order_id, status) select seq.user_id, seq.order_event_seq, o.id, o.status
    from seq join o on o.user_id = seq.user_id
  )`;

/** Numbers a status change of one of the user's orders, inside the change's transaction. */
export async function recordOrderEvent(em: EntityManager, orderId: string, status: OrderStatus): Promise<{ userId: string; seq: number }> {
  const [row] = await sql<{ user_id: string; order_event_seq: string }>(
    em,
    `with o as (select id, user_id, ?::text as status from orders where id = ?), ${ORDER_EVENT_CTES}
     select user_id, order_event_seq from seq`,
    [status, orderId],
  );
  if (!row) throw new Error(`order ${orderId} has no user`);
  return { userId: row.user_id, seq: Number(row.order_event_seq) };
}

/** After commit: tells the owner's live streams. */
export function publishOrderEvent(ctx: ServiceContext, event: { userId: string; seq: number }, order: Order): Promise<void> {
  const message: OrderEventMessage = { seq: event.seq, order };
  return publishQuietly(ctx.bus, channels.orders(event.userId), message);
}

/** The caller's order changes after `lastEventId` (if given), then live ones; ends on sign-out. */
export function streamOrderUpdates(
  ctx: AuthedContext,
  input: OrdersSubscribeInput,
  signal: AbortSignal | undefined,
): AsyncGenerator<Sequenced<Order>> {
  return userLiveStream<Order>(ctx, input.lastEventId, signal, orderEvents(ctx.live, ctx.em.getConnection(), ctx.user.id));
}

/** Users' newest order-event numbers, batched: every orders stream's periodic check asks in one tick. */
const LATEST_ORDER_EVENT: NumberColumn = { table: 'users', column: 'order_event_seq' };

/** How the stream reads the user's order events: only the shared connection, never the call's fork. */
function orderEvents(live: LiveRegistry, db: Connection, userId: string) {
  return {
    channel: channels.orders(userId),
    parse(message: string): Sequenced<Order> {
      const event = JSON.parse(message) as OrderEventMessage;
      return { seq: event.seq, item: event.order };
    },
    /** The orders as they were at each event: its status then, everything else as stored. */
    async backfill(after: number, limit: number): Promise<Sequenced<Order>[]> {
      const rows = await sql<OrderRow & { seq: string; event_status: OrderStatus }>(
        db,
        `select e.seq, e.status as event_status, ${ORDER_COLUMNS}
         from order_events e join orders o on o.id = e.order_id and o.user_id = e.user_id
         where e.user_id = ? and e.seq > ? order by e.seq limit ?`,
        [userId, after, limit],
      );
      // withLines answers one order per row, in the rows' order.
      const orders = await withLines(db, rows);
      return rows.map((row, i) => ({ seq: Number(row.seq), item: { ...(orders[i] as Order), status: row.event_status } }));
    },
    latestSeq: async (): Promise<number> => (await live.readNumber(db, LATEST_ORDER_EVENT, userId)) ?? 0,
  };
}
