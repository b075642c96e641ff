import { defineEntity, p } from '@mikro-orm/core';
import { Order } from './order.ts';

/** What an outbox message announces: an order placed, or its move to a later status. */
export const EMAIL_KINDS = ['order_placed', 'order_shipped', 'order_delivered', 'order_cancelled'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/**
 * The e-mail outbox: a row is written in the same transaction as the change it announces, so a
 * rollback queues nothing and a commit loses nothing. The delivery worker (domain's mail/) claims
 * due rows, sends them and records the outcome; `attempts` doubles as the claim's fencing token.
 */
const EmailOutboxSchema = defineEntity({
  name: 'EmailOutbox',
  tableName: 'email_outbox',
  properties: {
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    order: () => p.manyToOne(Order).deleteRule('cascade'),
    kind: p.enum([...EMAIL_KINDS]),
    createdAt: p.datetime().defaultRaw('now()'),
    // Claims so far, including one whose process died mid-send.
    attempts: p.integer().default(0),
    // When it is due: now for a new row, the lease's end while claimed, the backoff's after a failure.
    nextAttemptAt: p.datetime().defaultRaw('now()'),
    lastError: p.text().nullable(),
    // The SMTP server's acknowledgement (or the .eml file written), once sent.
    receipt: p.text().nullable(),
    sentAt: p.datetime().nullable(),
    // Given up: a permanent refusal, or too many attempts.
    failedAt: p.datetime().nullable(),
  },
  // One message of each kind per order, whatever calls the enqueue twice.
  uniques: [{ name: 'email_outbox_order_kind_unique', properties: ['order', 'kind'] }],
  indexes: [
    {
      name: 'email_outbox_due_idx',
      expression:
        'create index "email_outbox_due_idx" on "email_outbox" ("next_attempt_at") where "sent_at" is null and "failed_at" is null',
    },
  ],
});
export class EmailOutbox extends EmailOutboxSchema.class {}
EmailOutboxSchema.setClass(EmailOutbox);
