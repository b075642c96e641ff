import type { AddressInfo } from 'node:net';
import type { AppRouter } from '@shop/api';
import { testDeps } from '@shop/api/testing';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep } from '@shop/proc';
import type { ChatMessage } from '@shop/schemas';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { clients, register } from '../test/harness.ts';
import { type App, createApp } from './app.ts';

// Subscriptions over a real WebSocket, authenticated by the session cookie of the upgrade.
let db: TestDatabase;
let app: App;
let base: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  app = createApp({ deps: testDeps(db.orm), instanceName: 'rt' });
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** A signed-in user's HTTP and WebSocket clients, sharing the session cookie like a browser. */
async function signedIn(name: string) {
  return clients(base, await register(base, name));
}

describe('chat over WebSocket', () => {
  it('delivers missed messages after lastEventId, then live ones', async () => {
    const ann = await signedIn('ann');
    const ben = await signedIn('ben');
    const first = await ann.http.chat.send.mutate({ roomId: 'lobby', text: 'first' });
    const missed = await ben.http.chat.send.mutate({ roomId: 'lobby', text: 'while away' });

    const received: ChatMessage[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const sub = ann.live.chat.onMessage.subscribe(
        { roomId: 'lobby', lastEventId: first.id },
        {
          onData: (event) => {
            received.push(event.data);
            if (received.length === 2) {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    await sleep(200);
    const live = await ben.http.chat.send.mutate({ roomId: 'lobby', text: 'live' });
    await done;
    expect(received.map((m) => m.id)).toEqual([missed.id, live.id]);
    ann.socket.close();
    ben.socket.close();
  });

  it('refuses a subscription without a session', async () => {
    const socket = createWSClient({
      url: `${base.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const live = createTRPCClient<AppRouter>({ links: [wsLink({ client: socket })] });
    const code = await new Promise<string | undefined>((resolve) => {
      live.chat.onMessage.subscribe({ roomId: 'lobby' }, { onError: (e) => resolve(e.data?.code), onData: () => resolve('data') });
    });
    expect(code).toBe('UNAUTHORIZED');
    socket.close();
  });
});

describe('order updates over WebSocket', () => {
  it('reaches the owner when staff ship the order', async () => {
    const shopper = await signedIn('shopper');
    const staff = await signedIn('staff');
    await db.orm.em.getConnection().execute(`update users set role = 'staff' where name = 'staff'`);
    await db.orm.em.getConnection().execute(`insert into categories (slug, name) values ('rt', 'RT') on conflict do nothing`);
    const [product] = await db.orm.em.getConnection().execute<{ id: number }[]>(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
       values ('rt-thing', 'RT thing', 'x', 500, 3, (select id from categories where slug = 'rt'), '/x.svg') returning id`,
    );
    await shopper.http.cart.add.mutate({ productId: product?.id ?? 0 });
    const order = await shopper.http.checkout.placeOrder.mutate({
      idempotencyKey: crypto.randomUUID(),
      shippingAddress: { name: 'S', line1: '1 Road', city: 'Town', postalCode: '12345', country: 'DE' },
    });
    const update = new Promise<string>((resolve, reject) => {
      const sub = shopper.live.orders.onUpdate.subscribe(
        {},
        {
          onData: (event) => {
            sub.unsubscribe();
            resolve(`${event.data.id}:${event.data.status}`);
          },
          onError: reject,
        },
      );
    });
    await sleep(200);
    await staff.http.admin.order.setStatus.mutate({ id: order.id, status: 'shipped' });
    expect(await update).toBe(`${order.id}:shipped`);
    shopper.socket.close();
    staff.socket.close();
  });
});
