import { TOTP_PERIOD_S, totpCode } from '@shop/auth';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import {
  abuseCluster,
  base,
  cluster,
  countRequests,
  db,
  EVIL,
  expectUnchanged,
  inStockProduct,
  ownSummaryRow,
  placeOrder,
  refused,
} from '../src/abuse.ts';
import { changedTables, digest } from '../src/digest.ts';
import { cookieOf, DEMO, mutate, PASSWORD, query, raw, register, signIn } from '../src/http.ts';
import { liveClient, upgradeStatus } from '../src/live.ts';
import { record } from '../src/summary.ts';

abuseCluster('abuse: CSRF, foreign WS, IDOR, admin');

const STAFF_FACTOR_TEST = 'staff session without second factor cannot call admin.*';
// The second-factor scenario has its own summary row.
const staffFactor = { requests: 0, failed: false, written: 0 };
ownSummaryRow(STAFF_FACTOR_TEST);
afterEach(({ task }) => {
  if (task.name === STAFF_FACTOR_TEST && task.result?.errors?.length) staffFactor.failed = true;
});
afterAll(() => {
  record(inject('summaryFile'), {
    scenario: `abuse: ${STAFF_FACTOR_TEST}`,
    load: 'sequential',
    faults: 'password-only staff sessions on every instance',
    requests: staffFactor.requests,
    failures: staffFactor.failed ? 1 : 0,
    lostOrDuplicated: staffFactor.written,
  });
});

describe('cross-site writes', () => {
  it('refuses form, text/plain and multipart POSTs and foreign origins, and nothing is written', async () => {
    const { cookie } = await register(base, 'victim');
    const product = await inStockProduct();
    const before = await digest(db.url);
    const body = JSON.stringify({ productId: product.id });
    const attempts: { headers: Record<string, string>; body: string }[] = [
      { headers: { 'content-type': 'application/x-www-form-urlencoded', origin: EVIL }, body: `productId=${product.id}` },
      { headers: { 'content-type': 'text/plain', origin: EVIL }, body },
      { headers: { 'content-type': 'text/plain;charset=UTF-8' }, body },
      {
        headers: { 'content-type': 'multipart/form-data; boundary=x', origin: EVIL },
        body: `--x\r\nContent-Disposition: form-data; name="productId"\r\n\r\n${product.id}\r\n--x--\r\n`,
      },
      { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--\r\n' },
      { headers: { 'content-type': 'application/json', origin: EVIL }, body },
      { headers: { 'content-type': 'application/json', origin: 'null' }, body },
      { headers: { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' }, body },
      { headers: {}, body },
    ];
    for (const path of ['cart.add', 'chat.send', 'checkout.placeOrder', 'auth.logout']) {
      for (const a of attempts) {
        const reply = refused(await raw(base, { method: 'POST', path: `/trpc/${path}`, headers: { ...a.headers, cookie }, body: a.body }));
        expect(reply.status, `${path} ${JSON.stringify(a.headers)}`).toBe(403);
        expect(JSON.parse(reply.text).error.data.code).toBe('FORBIDDEN');
      }
    }
    await expectUnchanged(before);
    // The same request from the shop's own page goes through, so the refusals were about the origin.
    const own = await mutate(base, 'cart.add', { productId: product.id }, cookie, undefined, {
      origin: base,
      'sec-fetch-site': 'same-origin',
    });
    countRequests();
    expect(own.status).toBe(200);
    // auth.logout was refused above: the session still works.
    expect((await query(base, 'auth.me', undefined, cookie)).data).toMatchObject({ name: 'victim' });
  });

  it('refuses a WebSocket upgrade from a foreign Origin, and allows the shop’s own', async () => {
    const { cookie } = await register(base, 'ws-user');
    expect(refused(await upgradeStatus(base, { cookie, origin: EVIL }))).toBe(403);
    expect(refused(await upgradeStatus(base, { cookie, origin: 'null' }))).toBe(403);
    countRequests();
    expect(await upgradeStatus(base, { cookie, origin: base })).toBe(101);
  });
});

describe('reading or changing what belongs to someone else', () => {
  it('answers NOT_FOUND for another user’s order, support room and cart line', async () => {
    const owner = await register(base, 'owner');
    const other = await register(base, 'other');
    const order = await placeOrder(owner.cookie);
    const supportRoom = `support:${owner.id}`;
    expect((await mutate(base, 'chat.send', { roomId: supportRoom, text: 'my private question' }, owner.cookie)).status).toBe(200);
    const product = await inStockProduct();
    expect((await mutate(base, 'cart.add', { productId: product.id, quantity: 2 }, owner.cookie)).status).toBe(200);

    const checks = [
      await query(base, 'orders.byId', { id: order.id }, other.cookie),
      await mutate(base, 'orders.cancel', { id: order.id }, other.cookie),
      await query(base, 'chat.history', { roomId: supportRoom }, other.cookie),
      await mutate(base, 'chat.send', { roomId: supportRoom, text: 'let me in' }, other.cookie),
      // Carts have no id: another user's cart is reached only through its product lines.
      await mutate(base, 'cart.update', { productId: product.id, quantity: 5 }, other.cookie),
    ];
    for (const reply of checks) expect(refused(reply).code).toBe('NOT_FOUND');

    // Over the WebSocket too.
    const live = liveClient(base, other.cookie);
    const error = await new Promise<unknown>((resolve) => {
      live.api.chat.onMessage.subscribe({ roomId: supportRoom }, { onData: () => resolve('data'), onError: resolve });
    });
    live.socket.close();
    expect(refused((error as { data?: { code?: string } }).data?.code)).toBe('NOT_FOUND');

    // The owner's things are untouched and the other user sees none of them.
    expect((await query(base, 'orders.byId', { id: order.id }, owner.cookie)).data).toMatchObject({ id: order.id, status: 'placed' });
    expect((await query(base, 'cart.get', undefined, owner.cookie)).data).toMatchObject({ itemCount: 2 });
    expect((await query(base, 'cart.get', undefined, other.cookie)).data).toMatchObject({ itemCount: 0 });
    expect((await query(base, 'orders.list', undefined, other.cookie)).data).toMatchObject({ items: [] });
    const rooms = (await query(base, 'chat.rooms', undefined, other.cookie)).data as { id: string }[];
    expect(rooms.map((r) => r.id)).not.toContain(supportRoom);
    countRequests(10);
  });

  it('answers FORBIDDEN to every admin procedure called by a shopper, UNAUTHORIZED to a guest', async () => {
    const shopper = await signIn(base, DEMO.shopper.email, DEMO.shopper.password);
    const order = await placeOrder(shopper);
    const product = await inStockProduct();
    const before = await digest(db.url);
    const calls = [
      (c: string) =>
        mutate(base, 'admin.product.upsert', { slug: 'evil', name: 'Evil', description: '', priceCents: 1, categorySlug: 'office' }, c),
      (c: string) => mutate(base, 'admin.product.adjustStock', { productId: product.id, delta: 1_000 }, c),
      (c: string) => query(base, 'admin.order.list', undefined, c),
      (c: string) => mutate(base, 'admin.order.setStatus', { id: order.id, status: 'shipped' }, c),
    ];
    for (const call of calls) {
      expect(refused(await call(shopper)).code).toBe('FORBIDDEN');
      expect(refused(await call('')).code).toBe('UNAUTHORIZED');
    }
    await expectUnchanged(before);
  });
});

describe('staff second factor', () => {
  it(STAFF_FACTOR_TEST, async () => {
    const staff = await register(base, 'mfa-staff');
    await db.orm.em.getConnection().execute(`update users set role = 'staff' where id = ?`, [staff.id]);
    const sent = <T>(reply: T): T => {
      staffFactor.requests++;
      return reply;
    };
    // One session signed in with the password only (another device), one that enrols.
    const passwordOnly = cookieOf(sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD })));
    const { otpauthUri, secret } = sent(await mutate(base, 'auth.mfa.setup', undefined, staff.cookie)).data as {
      otpauthUri: string;
      secret: string;
    };
    expect(otpauthUri).toContain(secret);
    const enabled = sent(await mutate(base, 'auth.mfa.enable', { code: totpCode(secret) }, staff.cookie));
    expect((enabled.data as { recoveryCodes: string[] }).recoveryCodes).toHaveLength(10);
    const verified = cookieOf(enabled);

    const order = await placeOrder(await signIn(base, DEMO.shopper.email, DEMO.shopper.password));
    const product = await inStockProduct();
    const before = await digest(db.url);
    const calls = [
      (c: string, at: string) =>
        mutate(at, 'admin.product.upsert', { slug: 'no-factor', name: 'No', description: '', priceCents: 1, categorySlug: 'office' }, c),
      (c: string, at: string) => mutate(at, 'admin.product.adjustStock', { productId: product.id, delta: 1_000 }, c),
      (c: string, at: string) => query(at, 'admin.order.list', undefined, c),
      (c: string, at: string) => mutate(at, 'admin.order.setStatus', { id: order.id, status: 'shipped' }, c),
    ];
    // Every instance refuses the password-only session, whichever one it reaches.
    for (const at of [base, ...cluster.instances.map((i) => i.url)]) {
      for (const call of calls) {
        const reply = sent(await call(passwordOnly, at));
        expect(reply.code).toBe('FORBIDDEN');
        expect(reply.reason).toBe('MFA_REQUIRED');
      }
    }
    const changed = changedTables(before, await digest(db.url));
    staffFactor.written = changed.length;
    expect(changed).toEqual([]);

    // Signing in again without a code, or with a wrong one, is refused with MFA_REQUIRED.
    for (const extra of [{}, { totp: '000000' }, { recoveryCode: 'aaaa-bbbb-cccc-dddd' }]) {
      const reply = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, ...extra }));
      expect(reply.code).toBe('UNAUTHORIZED');
      expect(reply.reason).toBe('MFA_REQUIRED');
    }
    // The session that enrolled, and a sign-in with the next code, may; that code only once.
    expect(sent(await query(base, 'admin.order.list', undefined, verified)).status).toBe(200);
    const code = totpCode(secret, Date.now() + TOTP_PERIOD_S * 1000);
    const withCode = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, totp: code }));
    expect(withCode.status).toBe(200);
    expect(sent(await query(base, 'admin.order.list', undefined, cookieOf(withCode))).status).toBe(200);
    const replayed = sent(await mutate(base, 'auth.login', { email: staff.email, password: PASSWORD, totp: code }));
    expect(replayed.reason).toBe('MFA_REQUIRED');
  });
});
