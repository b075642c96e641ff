// Simulated shoppers from one process. Each keeps a chat socket open and loops: browse a category,
// open a product, add it to the cart, and one visit in twenty checks out; with think time between.
// The parent sets how many are active ("step") and collects latency per step ("report").
import { sleep } from '@shop/proc';
import type WebSocket from 'ws';
import { Histogram } from '../lib/stats.ts';
import { config, onParent, run, send } from './ipc.ts';
import { clientAddress, subscribe } from './ws-client.ts';

export interface ShoppersConfig {
  /** Nginx, for HTTP. */
  url: string;
  /** Where the chat sockets connect: Nginx (without it, the instances in turn). */
  socketUrls: string[];
  /** The first shopper number of this process (for source addresses). */
  offset: number;
  users: { id: string; cookie: string }[];
  products: { id: number; slug: string }[];
  categories: string[];
  thinkMs: number;
  label: string;
}

export interface ShoppersStats {
  latency: ReturnType<Histogram['toJSON']>;
  /** By request kind (list, product, cart.add, placeOrder). */
  kinds: Record<string, ReturnType<Histogram['toJSON']>>;
  statuses: Record<string, number>;
  active: number;
  sockets: number;
}

const ADDRESS = { name: 'Bench Shopper', line1: '1 Load Street', city: 'Berlin', postalCode: '10115', country: 'DE' };
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const input = (v: unknown) => encodeURIComponent(JSON.stringify(v));

run(async () => {
  const c = await config<ShoppersConfig>();
  const hist = new Histogram();
  const kinds = new Map<string, Histogram>();
  let statuses: Record<string, number> = {};
  let target = 0;
  let active = 0;
  let stopped = false;
  let opened = 0;
  const sockets = new Set<WebSocket>();

  async function request(kind: string, cookie: string, path: string, body?: unknown): Promise<number> {
    const t0 = performance.now();
    let status = 'error';
    try {
      const res = await fetch(`${c.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? { cookie } : { cookie, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      await res.arrayBuffer();
      status = String(res.status);
    } catch {}
    const ms = performance.now() - t0;
    hist.record(ms);
    const byKind = kinds.get(kind) ?? new Histogram();
    kinds.set(kind, byKind);
    byKind.record(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
    return Number(status) || 0;
  }

  const think = () => sleep(c.thinkMs * (0.5 + Math.random()));

  async function shopper(k: number) {
    const user = c.users[k % c.users.length];
    if (!user) return;
    try {
      const { ws } = await subscribe(
        c.socketUrls[k % c.socketUrls.length] ?? '',
        user.cookie,
        'chat.onMessage',
        { roomId: `support:${user.id}` },
        () => {},
        {
          localAddress: clientAddress(c.offset + k),
        },
      );
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    } catch {
      statuses.socket_failed = (statuses.socket_failed ?? 0) + 1;
    }
    if (++opened === target) send({ type: 'ramped' });
    // Spread the first requests over one think time, so a step does not start with a stampede.
    await sleep(Math.random() * c.thinkMs);
    while (!stopped && k < target) {
      await request('catalog.list', user.cookie, `/trpc/catalog.list?input=${input({ category: pick(c.categories) })}`);
      await think();
      const product = pick(c.products);
      await request('catalog.product', user.cookie, `/trpc/catalog.product?input=${input({ slug: product.slug })}`);
      await think();
      await request('cart.add', user.cookie, '/trpc/cart.add', { productId: product.id, quantity: 1 });
      await think();
      if (Math.random() < 0.05) {
        await request('checkout.placeOrder', user.cookie, '/trpc/checkout.placeOrder', {
          idempotencyKey: crypto.randomUUID(),
          shippingAddress: ADDRESS,
        });
        await think();
      }
    }
    active--;
  }

  const snapshot = (): ShoppersStats => ({
    latency: hist.toJSON(),
    kinds: Object.fromEntries([...kinds].map(([k, h]) => [k, h.toJSON()])),
    statuses,
    active,
    sockets: sockets.size,
  });

  await new Promise<void>((resolve) => {
    onParent((m) => {
      if (m.type === 'step') {
        const next = Number(m.active);
        for (let k = target; k < next; k++) {
          active++;
          void shopper(k);
        }
        target = next;
      } else if (m.type === 'report') {
        send({ type: 'stats', stats: snapshot() });
        hist.reset();
        kinds.clear();
        statuses = {};
      } else if (m.type === 'stop') {
        stopped = true;
        resolve();
      }
    });
    send({ type: 'ready' });
  });
  for (const ws of sockets) ws.terminate();
  return snapshot();
});
