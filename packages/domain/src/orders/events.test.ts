import { randomUUID } from 'node:crypto';
import { type Bus, createMemoryBus } from '@shop/bus';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import type { Order } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { placeOrder } from '../checkout/checkout.service.ts';
import type { SessionUser } from '../context.ts';
import { createLiveRegistry, type LiveRegistry } from '../live/registry.ts';
import { ADDRESS, createProduct, fillCart } from '../testing/fixtures.ts';
import { authedContext, createTestUser, testContext } from '../testing/index.ts';
import { streamOrderUpdates } from './events.ts';
import { changeStatus } from './orders.service.ts';

let db: TestDatabase;
let bus: Bus;
let live: LiveRegistry;
const as = (user: SessionUser) => authedContext(db.orm, user, { live });

async function order(user: SessionUser): Promise<Order> {
  const productId = await createProduct(db.orm.em.fork(), { stock: 5 });
  await fillCart(db.orm.em.fork(), user.id, [[productId, 1]]);
  return placeOrder(as(user), { idempotencyKey: randomUUID(), shippingAddress: ADDRESS });
}

async function take(user: SessionUser, lastEventId: number | null, count: number, during: () => Promise<void>) {
  const controller = new AbortController();
  const got: { seq: number; status: string; id: string }[] = [];
  const done = (async () => {
    for await (const { seq, item } of streamOrderUpdates(as(user), { lastEventId }, controller.signal)) {
      got.push({ seq, status: item.status, id: item.id });
      if (got.length === count) break;
    }
  })();
  await sleep(50);
  await during();
  await done;
  controller.abort();
  return got;
}

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  bus = createMemoryBus();
  live = createLiveRegistry(bus);
});
afterAll(async () => {
  live?.stop();
  await bus?.close();
  await db?.drop();
});

describe('order events', () => {
  it('numbers every status change of a user densely, placing included', async () => {
    const user = await createTestUser(db.orm.em.fork());
    const first = await order(user);
    await changeStatus(testContext(db.orm, { bus }), first.id, 'shipped');
    await changeStatus(testContext(db.orm, { bus }), first.id, 'delivered');
    const rows = await db.orm.em
      .getConnection()
      .execute<{ seq: string; status: string }[]>('select seq, status from order_events where user_id = ? order by seq', [user.id]);
    expect(rows.map((r) => [Number(r.seq), r.status])).toEqual([
      [1, 'placed'],
      [2, 'shipped'],
      [3, 'delivered'],
    ]);
  });

  it('streams live changes of the caller’s orders only', async () => {
    const [owner, other] = [await createTestUser(db.orm.em.fork()), await createTestUser(db.orm.em.fork())];
    const mine = await order(owner);
    const theirs = await order(other);
    const got = await take(owner, null, 2, async () => {
      await changeStatus(testContext(db.orm, { bus }), theirs.id, 'shipped');
      await changeStatus(testContext(db.orm, { bus }), mine.id, 'shipped');
      await changeStatus(testContext(db.orm, { bus }), mine.id, 'delivered');
    });
    expect(got.map((e) => [e.id, e.status])).toEqual([
      [mine.id, 'shipped'],
      [mine.id, 'delivered'],
    ]);
  });

  it('resumes after lastEventId with the changes made while away, then live ones', async () => {
    const user = await createTestUser(db.orm.em.fork());
    const a = await order(user); // event 1
    const b = await order(user); // event 2
    await changeStatus(testContext(db.orm, { bus }), a.id, 'cancelled'); // event 3, while away
    const got = await take(user, 1, 3, async () => {
      await changeStatus(testContext(db.orm, { bus }), b.id, 'shipped'); // event 4, live
    });
    expect(got.map((e) => [e.seq, e.status])).toEqual([
      [2, 'placed'],
      [3, 'cancelled'],
      [4, 'shipped'],
    ]);
  });

  it('catches up on each order as it was at its event, lines included, and never another user’s', async () => {
    const user = await createTestUser(db.orm.em.fork());
    const other = await createTestUser(db.orm.em.fork());
    const a = await order(user); // event 1
    await order(other);
    await changeStatus(testContext(db.orm, { bus }), a.id, 'cancelled'); // event 2
    const caughtUp: { seq: number; item: Order }[] = [];
    const controller = new AbortController();
    for await (const event of streamOrderUpdates(as(user), { lastEventId: 0 }, controller.signal)) {
      caughtUp.push(event);
      if (caughtUp.length === 2) break;
    }
    controller.abort();
    expect(caughtUp.map((e) => [e.seq, e.item.id, e.item.status])).toEqual([
      [1, a.id, 'placed'],
      [2, a.id, 'cancelled'],
    ]);
    for (const { item } of caughtUp) expect(item).toEqual({ ...a, status: item.status });
  });
});
