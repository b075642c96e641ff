// What the mail tests share: orders that queue messages, the outbox's rows, a log to read back.
import { randomUUID } from 'node:crypto';
import type { TestDatabase } from '@shop/db/testing';
import type { Order } from '@shop/schemas';
import { placeOrder } from '../checkout/checkout.service.ts';
import { ADDRESS, createProduct, fillCart } from '../testing/fixtures.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import type { MailLog } from './worker.ts';

export interface OutboxRow {
  id: string;
  order_id: string;
  kind: string;
  attempts: number;
  last_error: string | null;
  receipt: string | null;
  sent: boolean;
  failed: boolean;
  /** next_attempt_at − now(), in ms. */
  due_in_ms: number;
}

export async function outboxRows(db: TestDatabase): Promise<OutboxRow[]> {
  return db.orm.em.getConnection().execute<OutboxRow[]>(
    `select id, order_id, kind, attempts, last_error, receipt, sent_at is not null as sent, failed_at is not null as failed,
            (extract(epoch from next_attempt_at - now()) * 1000)::float8 as due_in_ms
     from email_outbox order by created_at, id`,
  );
}

/** Empties the outbox, so a test's worker and checks see only the test's own messages. */
export async function clearOutbox(db: TestDatabase): Promise<void> {
  await db.orm.em.getConnection().execute('delete from email_outbox');
}

/** A shopper named `userName` orders one `productName`; its confirmation is then queued. */
export async function orderWithMail(
  db: TestDatabase,
  options: { userName?: string; productName?: string; priceCents?: number } = {},
): Promise<{ order: Order; outboxId: string; email: string }> {
  const em = db.orm.em.fork();
  const user = await createTestUser(em, 'shopper', options.userName ?? 'Mail Tester');
  const product = await createProduct(em, {
    stock: 10,
    priceCents: options.priceCents ?? 1_250,
    name: options.productName ?? 'Brass Lamp',
  });
  await fillCart(em, user.id, [[product, 2]]);
  const order = await placeOrder(authedContext(db.orm, user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
  const [row] = await em.getConnection().execute<{ id: string }[]>('select id from email_outbox where order_id = ?', [order.id]);
  if (!row) throw new Error('no outbox row for the order');
  return { order, outboxId: row.id, email: user.email };
}

export interface MemoryLog extends MailLog {
  lines: { level: 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> }[];
}

export function memoryLog(): MemoryLog {
  const lines: MemoryLog['lines'] = [];
  const at = (level: 'info' | 'warn' | 'error') => (fields: object, message: string) => {
    lines.push({ level, message, fields: fields as Record<string, unknown> });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
