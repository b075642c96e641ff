// Probe: server CPU per request, by kind, on one instance answering one sequential client, so
// the figure is the instance's own cost (no contention). Reads /proc/<pid>/stat (Linux).
//   node src/probes/request-cost.ts        (uses the 10,000-product bench catalog; creates it once)
import pg from 'pg';
import { benchUsers, catalogDatabase, dropDatabase, scratchDatabase } from '../lib/db.ts';
import { cpuSeconds, startInstance } from '../lib/shop.ts';

const REQUESTS = 300;
await catalogDatabase(10_000);
const url = await scratchDatabase('shop_bench_probe', 10_000);
const instance = await startInstance('probe', { DATABASE_URL: url, LOG_LEVEL: 'warn' });
const pid = instance.pid ?? 0;
const base = instance.url;
const db = new pg.Client({ connectionString: url });
await db.connect();
const products = (await db.query<{ id: number; slug: string }>('select id, slug from products where stock > 0 order by id limit 500')).rows;
const category = (await db.query<{ slug: string }>('select slug from categories order by id limit 1')).rows[0]?.slug ?? '';
await db.end();
const users = await benchUsers(url, REQUESTS + 20, 'probe');
const input = (v: unknown) => encodeURIComponent(JSON.stringify(v));
const headers = (cookie?: string) => ({ origin: base, 'content-type': 'application/json', ...(cookie ? { cookie } : {}) });
const cookie = (i: number) => users[i % users.length]?.cookie ?? '';
const product = (i: number) => products[i % products.length] ?? { id: 1, slug: '' };

async function measure(label: string, request: (i: number) => Promise<Response>): Promise<void> {
  for (let i = 0; i < 20; i++) await (await request(i)).arrayBuffer();
  const cpu = await cpuSeconds(pid);
  const started = performance.now();
  const statuses = new Map<number, number>();
  for (let i = 20; i < 20 + REQUESTS; i++) {
    const res = await request(i);
    await res.arrayBuffer();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  const cpuMs = (((await cpuSeconds(pid)) - cpu) * 1000) / REQUESTS;
  const wallMs = (performance.now() - started) / REQUESTS;
  const shown = [...statuses].map(([s, n]) => `${n}×${s}`).join(' ');
  console.log(`${label.padEnd(40)} ${cpuMs.toFixed(2).padStart(6)} ms CPU  ${wallMs.toFixed(2).padStart(6)} ms wall  ${shown}`);
}

try {
  console.log(`one instance, ${REQUESTS} sequential requests each; server CPU per request`);
  await measure('/health', () => fetch(`${base}/health`));
  await measure('catalog.list, guest', () => fetch(`${base}/trpc/catalog.list?input=${input({})}`));
  await measure('catalog.list category, signed in', (i) =>
    fetch(`${base}/trpc/catalog.list?input=${input({ category })}`, { headers: headers(cookie(i)) }),
  );
  await measure('catalog.product, signed in', (i) =>
    fetch(`${base}/trpc/catalog.product?input=${input({ slug: product(i).slug })}`, { headers: headers(cookie(i)) }),
  );
  await measure('catalog.list search, signed in', (i) =>
    fetch(`${base}/trpc/catalog.list?input=${input({ search: 'lamp' })}`, { headers: headers(cookie(i)) }),
  );
  await measure('cart.get, signed in', (i) => fetch(`${base}/trpc/cart.get`, { headers: headers(cookie(i)) }));
  await measure('cart.add, signed in', (i) =>
    fetch(`${base}/trpc/cart.add`, {
      method: 'POST',
      headers: headers(cookie(i)),
      body: JSON.stringify({ productId: product(i).id, quantity: 1 }),
    }),
  );
  await measure('chat.send to own support room, signed in', (i) =>
    fetch(`${base}/trpc/chat.send`, {
      method: 'POST',
      headers: headers(cookie(i)),
      body: JSON.stringify({ roomId: `support:${users[i % users.length]?.id}`, text: `probe ${i}` }),
    }),
  );
  await measure('checkout.placeOrder, signed in', (i) =>
    fetch(`${base}/trpc/checkout.placeOrder`, {
      method: 'POST',
      headers: headers(cookie(i)),
      body: JSON.stringify({
        idempotencyKey: crypto.randomUUID(),
        shippingAddress: { name: 'Probe', line1: '1 Probe Street', city: 'Berlin', postalCode: '10115', country: 'DE' },
      }),
    }),
  );
} finally {
  await instance.stop();
  await dropDatabase('shop_bench_probe');
}
