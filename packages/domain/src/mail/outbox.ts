// The e-mail outbox's statements: the enqueue that runs inside a change's transaction, and the
// worker's claim and outcomes. A claim is one statement of its own (no transaction is held open
// across the SMTP conversation): it moves the row's next_attempt_at past a lease, so a process
// that dies mid-send leaves the row due again once the lease ends. `attempts` is the claim's
// fencing token: a worker whose lease ran out cannot push back a row another worker has claimed.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EmailKind } from '@shop/db';
import type { Order, OrderStatus } from '@shop/schemas';
import { ORDER_COLUMNS, type OrderRow, withLines } from '../orders/order-row.ts';
import { type Db, sql } from '../sql.ts';
import type { Recipient } from './order-mail.ts';

/** Queues the e-mail announcing that the order now is `status`, inside the caller's transaction. */
export async function queueOrderEmail(em: EntityManager, orderId: string, status: OrderStatus): Promise<void> {
  const kind: EmailKind = `order_${status}`;
  await sql(
    em,
    'insert into email_outbox (order_id, kind) values (?, ?) on conflict on constraint email_outbox_order_kind_unique do nothing',
    [orderId, kind],
  );
}

/** An outbox message this worker holds until its lease ends, with what its e-mail is rendered from. */
export interface ClaimedMail {
  id: string;
  kind: EmailKind;
  /** This claim's number: 1 for the first. */
  attempt: number;
  /** When the change was committed: the e-mail's Date, the same on every attempt. */
  createdAt: Date;
  order: Order;
  to: Recipient;
}

/** A claimed row as the claim statement returns it: the outbox columns, the recipient, the order. */
export interface ClaimedRow extends OrderRow {
  outbox_id: string;
  kind: EmailKind;
  attempts: number;
  outbox_created_ms: number;
  email: string;
  user_name: string;
}

/**
 * Claims up to `limit` due messages for `leaseMs`. SKIP LOCKED lets several instances claim at
 * once without waiting on, or taking, each other's rows; once this statement commits, the moved
 * next_attempt_at keeps the rows from everyone else until the lease ends.
 */
export async function claimDue(db: Db, limit: number, leaseMs: number): Promise<ClaimedMail[]> {
  const rows = await sql<ClaimedRow>(
    db,
    `with due as (
       select id from email_outbox
       where sent_at is null and failed_at is null and next_attempt_at <= now()
       order by next_attempt_at limit ?
       for update skip locked
     ),
     claimed as (
       update email_outbox m set attempts = m.attempts + 1, next_attempt_at = now() + ?::int * interval '1 millisecond'
       from due where m.id = due.id
       returning m.id, m.order_id, m.kind, m.attempts, m.created_at
     )
     select c.id as outbox_id, c.kind, c.attempts, (extract(epoch from c.created_at) * 1000)::float8 as outbox_created_ms,
            u.email, u.name as user_name, ${ORDER_COLUMNS}
     from claimed c join orders o on o.id = c.order_id join users u on u.id = o.user_id
     order by c.created_at`,
    [limit, Math.round(leaseMs)],
  );
  const orders = await withLines(db, rows);
  return rows.map((row, i) => ({
    id: row.outbox_id,
    kind: row.kind,
    attempt: row.attempts,
    createdAt: new Date(row.outbox_created_ms),
    order: orders[i] as Order,
    to: { email: row.email, name: row.user_name },
  }));
}

/** Records the acknowledged send, whoever holds the claim now: it was sent, so it is never sent again. */
export async function markSent(db: Db, id: string, receipt: string): Promise<void> {
  await sql(db, 'update email_outbox set sent_at = now(), receipt = ?, last_error = null where id = ? and sent_at is null', [receipt, id]);
}

/** Records a failed attempt: due again after `retryInMs`, or given up for good. Only under this claim. */
export async function markFailed(
  db: Db,
  mail: Pick<ClaimedMail, 'id' | 'attempt'>,
  outcome: { error: string; retryInMs: number; giveUp: boolean },
): Promise<void> {
  await sql(
    db,
    `update email_outbox set last_error = ?, next_attempt_at = now() + ?::int * interval '1 millisecond',
       failed_at = case when ? then now() end
     where id = ? and attempts = ? and sent_at is null`,
    [outcome.error.slice(0, 2000), Math.round(outcome.retryInMs), outcome.giveUp, mail.id, mail.attempt],
  );
}
