// The outbox is written inside the transaction of the change it announces, and its claims keep a
// message from every other worker until the claim's lease ends.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setOrderStatus } from '../admin/admin.service.ts';
import { placeOrder } from '../checkout/checkout.service.ts';
import { cancelOrder } from '../orders/orders.service.ts';
import { ADDRESS, createProduct, fillCart, outcome } from '../testing/fixtures.ts';
import { authedContext, createTestUser } from '../testing/index.ts';
import { claimDue, markFailed, markSent, queueOrderEmail } from './outbox.ts';

let db: TestDatabase;
const em = () => db.orm.em.fork();
const conn = () => db.orm.em.getConnection();

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
});
afterAll(() => db?.drop());

async function outbox(orderId: string): Promise<string[]> {
  const rows = await conn().execute<{ kind: string }[]>('select kind from email_outbox where order_id = ? order by created_at, kind', [
    orderId,
  ]);
  return rows.map((r) => r.kind);
}

async function placedOrder(stock = 5) {
  const user = await createTestUser(em());
  const staff = await createTestUser(em(), 'staff');
  const product = await createProduct(em(), { stock });
  await fillCart(em(), user.id, [[product, 1]]);
  const key = randomUUID();
  const order = await placeOrder(authedContext(db.orm, user), { idempotencyKey: key, shippingAddress: ADDRESS });
  return { user, staff, product, order, key };
}

describe('queueing in the change’s transaction', () => {
  it('queues a confirmation with the order, and nothing for a replayed or refused checkout', async () => {
    const { user, product, order, key } = await placedOrder(1);
    expect(await outbox(order.id)).toEqual(['order_placed']);

    await placeOrder(authedContext(db.orm, user), { idempotencyKey: key, shippingAddress: ADDRESS });
    expect(await outbox(order.id)).toEqual(['order_placed']);

    await fillCart(em(), user.id, [[product, 1]]); // none left in stock
    const refused = await outcome(placeOrder(authedContext(db.orm, user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS }));
    expect(refused).toMatchObject({ ok: false, kind: 'CONFLICT' });
    const [all] = await conn().execute<{ n: number }[]>(
      'select count(*)::int as n from email_outbox m join orders o on o.id = m.order_id where o.user_id = ?',
      [user.id],
    );
    expect(all?.n).toBe(1);
  });

  it('queues shipped and delivered when staff move the order, and nothing for a refused move', async () => {
    const { staff, order } = await placedOrder();
    const staffCtx = () => authedContext(db.orm, staff);
    await setOrderStatus(staffCtx(), { id: order.id, status: 'shipped' });
    expect(await outcome(setOrderStatus(staffCtx(), { id: order.id, status: 'cancelled' }))).toMatchObject({ ok: false, kind: 'CONFLICT' });
    await setOrderStatus(staffCtx(), { id: order.id, status: 'delivered' });
    expect(await outbox(order.id)).toEqual(['order_placed', 'order_shipped', 'order_delivered']);
  });

  it('queues cancelled when the shopper cancels', async () => {
    const { user, order } = await placedOrder();
    await cancelOrder(authedContext(db.orm, user), order.id);
    expect(await outbox(order.id)).toEqual(['order_placed', 'order_cancelled']);
  });

  it('writes on the transaction it is given: a rollback leaves nothing queued', async () => {
    const { order } = await placedOrder();
    await expect(
      em().transactional(async (tx) => {
        await queueOrderEmail(tx, order.id, 'shipped');
        // Visible inside the transaction, invisible outside it until commit.
        expect(
          await tx
            .getConnection()
            .execute(
              'select 1 from email_outbox where order_id = ? and kind = ?',
              [order.id, 'order_shipped'],
              'all',
              tx.getTransactionContext(),
            ),
        ).toHaveLength(1);
        expect(await outbox(order.id)).toEqual(['order_placed']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await outbox(order.id)).toEqual(['order_placed']);
  });
});

describe('claims', () => {
  it('hand each due message to one claimer, hide it for the lease, and make it due again after', async () => {
    await conn().execute('update email_outbox set sent_at = now()');
    const orders = await Promise.all(Array.from({ length: 6 }, () => placedOrder()));
    const claims = await Promise.all(Array.from({ length: 6 }, () => claimDue(conn(), 2, 400)));
    const ids = claims.flat().map((m) => m.id);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(new Set(claims.flat().map((m) => m.order.id))).toEqual(new Set(orders.map((o) => o.order.id)));
    expect(await claimDue(conn(), 10, 400)).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await claimDue(conn(), 10, 60_000);
    expect(again.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(again.every((m) => m.attempt === 2)).toBe(true);
    for (const m of again) await markSent(conn(), m.id, '250 ok');
  });

  it('fence a stale claim: only the current claimer may record a failure', async () => {
    await placedOrder();
    const [first] = await claimDue(conn(), 1, 1);
    if (!first) throw new Error('nothing claimed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [second] = await claimDue(conn(), 1, 60_000);
    expect(second?.id).toBe(first.id);
    // The first worker's late failure does not make the message due under the second's claim.
    await markFailed(conn(), first, { error: 'late', retryInMs: 0, giveUp: true });
    const [row] = await conn().execute<{ last_error: string | null; failed_at: Date | null; attempts: number }[]>(
      'select last_error, failed_at, attempts from email_outbox where id = ?',
      [first.id],
    );
    expect(row).toEqual({ last_error: null, failed_at: null, attempts: 2 });
    // Whoever saw the acknowledgement records it, even past its lease.
    await markSent(conn(), first.id, '250 first');
    expect(await claimDue(conn(), 10, 60_000)).toEqual([]);
  });
});
