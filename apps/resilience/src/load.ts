// Load for the fault scenarios: virtual users that browse, fill carts, check out and chat, each
// retrying as a well-behaved client does, and counting what happened.
import { randomUUID } from 'node:crypto';
import { sleep } from '@shop/proc';
import type { ChatMessage, Order } from '@shop/schemas';
import { mutate, query, type TrpcReply } from './http.ts';
import { liveClient } from './live.ts';

export interface Tally {
  /** Requests sent, retries included. */
  requests: number;
  /** Answers a client must never see: a failed GET, or an operation that never succeeded. */
  failures: string[];
  /** Attempts that failed in transit and were retried (502/503/504, a reset, a timeout, 429). */
  retried: number;
}

export const newTally = (): Tally => ({ requests: 0, failures: [], retried: 0 });

/** Failed in transit: the answer (if any) says nothing about whether the server acted. */
const transient = (r: TrpcReply | null) => r === null || r.status === 502 || r.status === 503 || r.status === 504 || r.status === 429;

/**
 * Sends a POST until it gets a definitive answer, the same input every time (so only operations
 * made idempotent by a key are safe to send through this).
 */
export async function retrying(tally: Tally, send: () => Promise<TrpcReply>, deadline: number): Promise<TrpcReply | null> {
  for (;;) {
    tally.requests++;
    const reply = await send().catch(() => null);
    if (!transient(reply)) return reply;
    tally.retried++;
    if (Date.now() > deadline) return reply;
    await sleep(reply?.status === 429 ? 1_000 : 150);
  }
}

/** Browses the catalog (GETs only: Nginx may retry them elsewhere, so none may fail). */
export async function browse(base: string, tally: Tally, until: () => boolean, slugs: string[]): Promise<void> {
  const sorts = ['relevance', 'price_asc', 'price_desc', 'newest', 'name'];
  let i = 0;
  while (!until()) {
    i++;
    const reply =
      i % 3 === 0
        ? await query(base, 'catalog.product', { slug: slugs[i % slugs.length] }).catch((e: Error) => e)
        : await query(base, 'catalog.list', { sort: sorts[i % sorts.length], limit: 12, ...(i % 2 ? { inStock: true } : {}) }).catch(
            (e: Error) => e,
          );
    tally.requests++;
    if (reply instanceof Error || reply.status !== 200)
      tally.failures.push(`GET catalog: ${reply instanceof Error ? reply.message : `${reply.status} ${reply.code}`}`);
    await sleep(20);
  }
}

export interface Checkout {
  userId: string;
  key: string;
  /** The order the client was given, or null when it got a definitive refusal. */
  orderId: string | null;
  refusal: string | null;
}

/** Fills the cart and checks out with an idempotency key, retried until a definitive answer. */
export async function shop(
  base: string,
  cookie: string,
  userId: string,
  productIds: number[],
  tally: Tally,
  until: () => boolean,
  out: Checkout[],
): Promise<void> {
  let i = 0;
  while (!until()) {
    i++;
    const productId = productIds[(i * 7 + userId.charCodeAt(0)) % productIds.length] as number;
    // cart.add is not idempotent, but a repeated add only changes a quantity, which is checked out as a whole.
    const added = await retrying(tally, () => mutate(base, 'cart.add', { productId }, cookie), Date.now() + 30_000);
    if (added?.status !== 200) {
      if (added?.code !== 'CONFLICT') tally.failures.push(`cart.add: ${added?.status} ${added?.code}`);
      continue;
    }
    const key = randomUUID();
    const shippingAddress = { name: 'Load Tester', line1: '1 Fault Lane', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const placed = await retrying(
      tally,
      () => mutate(base, 'checkout.placeOrder', { idempotencyKey: key, shippingAddress }, cookie),
      Date.now() + 30_000,
    );
    if (placed?.status === 200) out.push({ userId, key, orderId: (placed.data as Order).id, refusal: null });
    else if (placed && placed.status < 500 && placed.status !== 429) out.push({ userId, key, orderId: null, refusal: placed.code });
    else {
      tally.failures.push(`checkout never answered: ${placed?.status} ${placed?.code}`);
      out.push({ userId, key, orderId: null, refusal: 'gave up' });
    }
  }
}

/** Keeps a cart busy: add, update, read. */
export async function cartWork(base: string, cookie: string, productIds: number[], tally: Tally, until: () => boolean): Promise<void> {
  let i = 0;
  while (!until()) {
    i++;
    const productId = productIds[i % productIds.length] as number;
    const steps: [string, () => Promise<TrpcReply>][] = [
      ['cart.add', () => mutate(base, 'cart.add', { productId }, cookie)],
      ['cart.update', () => mutate(base, 'cart.update', { productId, quantity: 1 }, cookie)],
      ['cart.get', () => query(base, 'cart.get', undefined, cookie)],
      ['cart.remove', () => mutate(base, 'cart.remove', { productId }, cookie)],
    ];
    for (const [name, step] of steps) {
      tally.requests++;
      const reply = await step().catch((e: Error) => e);
      if (reply instanceof Error || reply.status !== 200)
        tally.failures.push(`${name}: ${reply instanceof Error ? reply.message : `${reply.status} ${reply.code}`}`);
    }
    await sleep(50);
  }
}

export interface Subscriber {
  ids: number[];
  close(): void;
}

/** A chat subscriber over the WebSocket; tRPC's client reconnects and resumes after its last event id. */
export async function subscribe(base: string, cookie: string, roomId: string): Promise<Subscriber> {
  // As the SPA does: read the newest message, then stream from it (from 0 in an empty room).
  // Without lastEventId a stream starts wherever the server is when its generator runs, which can
  // be after messages sent once 'started' arrived (seen as "missing" first messages under load).
  const newest = await query(base, 'chat.history', { roomId, limit: 1 }, cookie);
  if (newest.status !== 200) throw new Error(`chat.history answered ${newest.status} ${newest.code}`);
  const [latest] = (newest.data as { items: ChatMessage[] }).items;
  const live = liveClient(base, cookie);
  const ids: number[] = [];
  await new Promise<void>((resolve, reject) => {
    live.api.chat.onMessage.subscribe(
      { roomId, lastEventId: String(latest?.id ?? 0) },
      {
        onStarted: () => resolve(),
        onData: (event) => ids.push((event.data as ChatMessage).id),
        onError: (error) => reject(error),
      },
    );
  });
  return { ids, close: () => live.socket.close() };
}

/** Sends messages with a client id (so a retry is never stored twice) until `until`. */
export async function chatter(
  base: string,
  cookie: string,
  name: string,
  tally: Tally,
  until: () => boolean,
  sent: number[],
): Promise<void> {
  let i = 0;
  while (!until()) {
    i++;
    const input = { roomId: 'lobby', text: `${name} #${i}`, clientId: randomUUID() };
    const reply = await retrying(tally, () => mutate(base, 'chat.send', input, cookie), Date.now() + 30_000);
    if (reply?.status === 200) sent.push((reply.data as ChatMessage).id);
    else tally.failures.push(`chat.send never succeeded: ${reply?.status} ${reply?.code}`);
    // Under the flood limit of 10 messages per 10 s per user.
    await sleep(1_100);
  }
}

/** Waits until every subscriber has every sent id; returns how many are missing or repeated. */
export async function deliveryProblems(
  subscribers: Subscriber[],
  sent: number[],
  waitMs = 30_000,
): Promise<{ missing: number; repeated: number }> {
  const want = new Set(sent);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && subscribers.some((s) => [...want].some((id) => !s.ids.includes(id)))) await sleep(200);
  let missing = 0;
  let repeated = 0;
  subscribers.forEach((s, i) => {
    const lost = [...want].filter((id) => !s.ids.includes(id));
    missing += lost.length;
    repeated += s.ids.length - new Set(s.ids).size;
    // For whoever debugs a failure: which ids, against what the subscriber did receive.
    if (lost.length) console.log(`[delivery] subscriber ${i} missing ${lost.join(',')} of sent ${sent.join(',')}; got ${s.ids.join(',')}`);
  });
  return { missing, repeated };
}
