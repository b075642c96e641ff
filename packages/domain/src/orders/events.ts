import type { EntityManager } from '@mikro-orm/postgresql';
import type { Order, OrderStatus, OrdersSubscribeInput } from '@shop/schemas';
import type { AuthedContext, ServiceContext } from '../context.ts';
import { channels, publishQuietly, type Sequenced } from '../live/stream.ts';
import { userLiveStream } from '../live/user-stream.ts';
import { sql } from '../sql.ts';
import { loadOrder } from './orders.service.ts';

export interface OrderEventMessage {
  seq: number;
  order: Order;
}

/**
 * Numbers a status change of one of the user's orders, inside the change's transaction. The
 * number comes from the user row under its lock, so numbers are dense per user and visible in
 * commit order: orders.onUpdate can resume after any of them without a gap.
 */
export async function recordOrderEvent(em: EntityManager, orderId: string, status: OrderStatus): Promise<{ userId: string; seq: number }> {
  const [row] = await sql<{ id: string; order_event_seq: string }>(
    em,
    `update users set order_event_seq = order_event_seq + 1
     where id = (select user_id from orders where id = ?) returning id, order_event_seq`,
    [orderId],
  );
  if (!row) throw new Error(`order ${orderId} has no user`);
  const seq = Number(row.order_event_seq);
  await sql(em, 'insert into order_events (user_id, seq, order_id, status) values (?, ?, ?, ?)', [row.id, seq, orderId, status]);
  return { userId: row.id, seq };
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
  const user = ctx.user;
  return userLiveStream<Order>(ctx, input.lastEventId, signal, {
    channel: channels.orders(user.id),
    parse(message) {
      const event = JSON.parse(message) as OrderEventMessage;
      return { seq: event.seq, item: event.order };
    },
    async backfill(after, limit) {
      const rows = await sql<{ seq: string; order_id: string; status: OrderStatus }>(
        ctx.em,
        'select seq, order_id, status from order_events where user_id = ? and seq > ? order by seq limit ?',
        [user.id, after, limit],
      );
      const events: Sequenced<Order>[] = [];
      for (const row of rows) {
        const order = await loadOrder(ctx.em, row.order_id, user.id);
        // The order as it was at this event: its status then, everything else as stored.
        if (order) events.push({ seq: Number(row.seq), item: { ...order, status: row.status } });
      }
      return events;
    },
    async latestSeq() {
      const [row] = await sql<{ order_event_seq: string }>(ctx.em, 'select order_event_seq from users where id = ?', [user.id]);
      return Number(row?.order_event_seq ?? 0);
    },
  });
}
