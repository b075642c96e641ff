import { EmailOutbox, User } from '@shop/db';
import { rowColumnMismatches } from '@shop/db/testing';
import { describe, expect, it } from 'vitest';
import type { OrderRow } from '../orders/order-row.ts';
import type { ClaimedRow } from './outbox.ts';

describe('outbox rows match their tables', () => {
  // The order's own columns are OrderRow's, checked in order-row.test.ts.
  it('ClaimedRow: email_outbox with the order’s user', async () => {
    const problems = await rowColumnMismatches<Omit<ClaimedRow, keyof OrderRow>>(EmailOutbox, {
      outbox_id: { column: 'id', kind: 'uuid' },
      kind: 'text',
      attempts: 'int',
      outbox_created_ms: 'computed',
      email: { of: User, column: 'email', kind: 'text' },
      user_name: { of: User, column: 'name', kind: 'text' },
    });
    expect(problems).toEqual([]);
  });
});
