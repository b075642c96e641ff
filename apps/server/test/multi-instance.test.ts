import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sleep, waitForHttp } from '@shop/proc';
import type { ChatMessage } from '@shop/schemas';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { clients, type RedisServer, register, type ShopInstance, startInstance, startRedis, stopAll } from './harness.ts';

// Three server processes on one PostgreSQL database and one Redis: the production shape.
let db: TestDatabase;
let redis: RedisServer;
let a: ShopInstance;
let b: ShopInstance;
let c: ShopInstance;
const open: { socket: { close(): void } }[] = [];

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

/** Subscribes to a room and collects what arrives; resolves once the subscription is active. */
async function listen(base: string, cookie: string, roomId: string, lastEventId?: number) {
  const client = clients(base, cookie);
  open.push(client);
  const got: ChatMessage[] = [];
  await new Promise<void>((resolve, reject) => {
    client.live.chat.onMessage.subscribe(
      { roomId, ...(lastEventId !== undefined ? { lastEventId } : {}) },
      { onStarted: () => resolve(), onData: (event) => got.push(event.data), onError: reject },
    );
  });
  // Started means the request reached the server; give its bus subscription a moment to register.
  await sleep(150);
  return { got, close: () => client.socket.close() };
}

const send = (base: string, cookie: string, text: string, roomId = 'lobby') =>
  clients(base, cookie).http.chat.send.mutate({ roomId, text });
const ids = (messages: ChatMessage[]) => messages.map((m) => m.id);

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  redis = await startRedis();
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, SESSION_SECRET: 'multi-instance-test-secret-0123456789abcdef' };
  [a, b, c] = await Promise.all([startInstance('a', env), startInstance('b', env), startInstance('c', env)]);
}, 150_000); // three Node processes starting at once on a busy 2-core machine
afterAll(async () => {
  for (const client of open) client.socket.close();
  await stopAll();
  await db?.drop();
});

describe('chat across three instances', () => {
  it('delivers concurrent messages from all instances to subscribers on the others, in one order, as history has it', async () => {
    const [u1, u2, u3] = await Promise.all([register(a.url, 'u1'), register(b.url, 'u2'), register(c.url, 'u3')]);
    const onB = await listen(b.url, u1, 'lobby');
    const onC = await listen(c.url, u2, 'lobby');
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => send(a.url, u1, `a${i}`)),
      ...Array.from({ length: 8 }, (_, i) => send(b.url, u2, `b${i}`)),
      ...Array.from({ length: 8 }, (_, i) => send(c.url, u3, `c${i}`)),
    ]);
    await until(() => onB.got.length >= 24 && onC.got.length >= 24, 'all 24 messages on B and C');
    expect(ids(onB.got)).toEqual(ids(onC.got));
    expect(ids(onB.got)).toEqual([...ids(onB.got)].sort((x, y) => x - y));
    const history = await clients(a.url, u1).http.chat.history.query({ roomId: 'lobby', limit: 24 });
    expect(ids(history.items).reverse()).toEqual(ids(onB.got));
    onB.close();
    onC.close();
  });

  it('resumes after its instance is killed: nothing missing, nothing repeated', async () => {
    const reader = await register(a.url, 'reader');
    const roomId = `support:${await clients(a.url, reader)
      .http.auth.me.query()
      .then((u) => u?.id)}`;
    const onB = await listen(b.url, reader, roomId);
    for (let i = 0; i < 3; i++) await send(a.url, reader, `before ${i}`, roomId);
    await until(() => onB.got.length === 3, 'three messages before the kill');
    await b.stop('SIGKILL');
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push(await send(a.url, reader, `while down ${i}`, roomId));
    const last = onB.got.at(-1)?.id;
    const onC = await listen(c.url, reader, roomId, last);
    const live = await send(a.url, reader, 'after resume', roomId);
    await until(() => onC.got.length >= 4, 'missed and live messages on C');
    expect(ids(onC.got)).toEqual([...ids(missed), live.id]);
    onC.close();
    b = await startInstance('b', {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SESSION_SECRET: 'multi-instance-test-secret-0123456789abcdef',
    });
  });

  it('loses no message when Redis restarts mid-conversation', async () => {
    const [u1, u2] = [await register(a.url, 'r1'), await register(a.url, 'r2')];
    const onB = await listen(b.url, u1, 'lobby');
    const onC = await listen(c.url, u2, 'lobby');
    const sent = [await send(a.url, u1, 'before the restart')];
    await until(() => onB.got.length === 1 && onC.got.length === 1, 'first message');
    await redis.stop();
    // Stored while Redis is down; the publishes are lost, the messages are not.
    for (let i = 0; i < 3; i++) sent.push(await send(a.url, i % 2 ? u1 : u2, `during the outage ${i}`));
    await redis.start();
    sent.push(await send(a.url, u2, 'after the restart'));
    // Within the streams' catch-up interval (15 s) at worst, whatever signal the outage cost.
    await until(() => onB.got.length >= 5 && onC.got.length >= 5, 'all five messages after the restart', 25_000).catch((e: Error) => {
      throw new Error(`${e.message}: sent ${ids(sent)}, B got ${ids(onB.got)}, C got ${ids(onC.got)}`);
    });
    expect(ids(onB.got)).toEqual(ids(sent));
    expect(ids(onC.got)).toEqual(ids(sent));
    onB.close();
    onC.close();
  }, 40_000);
});

describe('safety across instances', () => {
  it("refuses another shopper's support room as NOT_FOUND on any instance", async () => {
    const [owner, other] = [await register(a.url, 'owner'), await register(a.url, 'nosy')];
    const ownerId = await clients(a.url, owner)
      .http.auth.me.query()
      .then((u) => u?.id);
    const nosy = clients(b.url, other);
    open.push(nosy);
    const code = await new Promise<string | undefined>((resolve) => {
      nosy.live.chat.onMessage.subscribe(
        { roomId: `support:${ownerId}` },
        { onError: (e) => resolve(e.data?.code), onData: () => resolve('data') },
      );
    });
    expect(code).toBe('NOT_FOUND');
    const sent = await clients(c.url, other)
      .http.chat.send.mutate({ roomId: `support:${ownerId}`, text: 'hi' })
      .catch((e: { data?: { code?: string } }) => e.data?.code);
    expect(sent).toBe('NOT_FOUND');
  });

  it('counts a flood across instances: the limit is shared through Redis', async () => {
    const instances = [a, b, c];
    // After the Redis restart above, an instance whose limiter connection is still reconnecting
    // counts on its own (the in-memory fallback): the limit is shared once each is ready again.
    await Promise.all(instances.map(({ url }) => waitForHttp(`${url}/ready`, 'instance ready (Redis reachable)')));
    const flooder = await register(a.url, 'flooder');
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) {
      const base = (instances[i % 3] as ShopInstance).url;
      outcomes.push(
        await send(base, flooder, `flood ${i}`).then(
          () => 'ok',
          (e: { data?: { code?: string } }) => e.data?.code ?? 'error',
        ),
      );
    }
    expect(outcomes.slice(0, 10)).toEqual(Array(10).fill('ok'));
    expect(outcomes.slice(10)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
  });

  it("ends a signed-out user's subscription on another instance", async () => {
    const leaver = await register(a.url, 'leaver');
    const client = clients(c.url, leaver);
    open.push(client);
    const ended = new Promise<string>((resolve) => {
      client.live.chat.onMessage.subscribe(
        { roomId: 'lobby' },
        { onComplete: () => resolve('complete'), onError: (e) => resolve(`error ${e.data?.code}`), onStarted: () => {} },
      );
    });
    await sleep(300);
    await clients(a.url, leaver).http.auth.logout.mutate();
    expect(await ended).toBe('complete');
  });
});

describe('order updates across instances', () => {
  it("reaches the owner's subscription on another instance when staff ship the order", async () => {
    const shopper = await register(a.url, 'buyer');
    const staffEmail = `staff-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const conn = db.orm.em.getConnection();
    await conn.execute(`insert into categories (slug, name) values ('mi', 'MI') on conflict do nothing`);
    const [product] = await conn.execute<{ id: number }[]>(
      `insert into products (slug, name, description, price_cents, stock, category_id, image_url)
       values ('mi-thing', 'MI thing', 'x', 700, 5, (select id from categories where slug = 'mi'), '/x.svg') returning id`,
    );
    const staff = await register(a.url, 'staff', staffEmail);
    await conn.execute(`update users set role = 'staff' where email = ?`, [staffEmail]);

    const buyer = clients(a.url, shopper);
    await buyer.http.cart.add.mutate({ productId: product?.id ?? 0 });
    const order = await buyer.http.checkout.placeOrder.mutate({
      idempotencyKey: crypto.randomUUID(),
      shippingAddress: { name: 'B', line1: '1 Road', city: 'Town', postalCode: '12345', country: 'DE' },
    });
    const onC = clients(c.url, shopper);
    open.push(onC);
    const statuses: string[] = [];
    await new Promise<void>((resolve, reject) => {
      onC.live.orders.onUpdate.subscribe({}, { onStarted: () => resolve(), onData: (e) => statuses.push(e.data.status), onError: reject });
    });
    await sleep(150);
    // The staff role is read per request (cached for two seconds): wait it out.
    await sleep(2_100);
    await clients(a.url, staff).http.admin.order.setStatus.mutate({ id: order.id, status: 'shipped' });
    await until(() => statuses.length >= 1, 'the shipped update on C');
    expect(statuses).toEqual(['shipped']);
  });
});

describe('shutdown', () => {
  it('on SIGTERM tells WebSocket clients to reconnect elsewhere and exits cleanly', async () => {
    const d = await startInstance('d', {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      SESSION_SECRET: 'multi-instance-test-secret-0123456789abcdef',
    });
    const ws = new WebSocket(`${d.url.replace('http', 'ws')}/trpc`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(String(data)));
    const closed = new Promise((resolve) => ws.once('close', resolve));
    const code = await d.stop('SIGTERM');
    await closed;
    expect(code).toBe(0);
    expect(messages.map((m) => JSON.parse(m) as { method?: string })).toContainEqual(expect.objectContaining({ method: 'reconnect' }));
  });
});
