import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_COOKIE } from '@shop/auth';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { sealData } from 'iron-session';
import { describe, expect, inject, it } from 'vitest';
import { abuseCluster, base, cluster, db, row, writtenSince } from '../src/abuse.ts';
import { SESSION_SECRET } from '../src/cluster.ts';
import { digest } from '../src/digest.ts';
import { DEMO, mutate, PASSWORD, query, type TrpcReply } from '../src/http.ts';
import { exitOfInstance, type ShopInstance, startInstance } from '../src/processes.ts';

abuseCluster('abuse: sign-up, secrets and demo data');

describe('sign-up', () => {
  it('refuses common passwords at sign-up with zxcvbn’s reason, and creates no account', async () => {
    const email = `signup-${randomUUID().slice(0, 8)}@example.test`;
    const localPart = email.slice(0, email.indexOf('@'));
    const before = await digest(db.url);
    // Each password with the reason zxcvbn gives for it.
    const weak: [string, RegExp][] = [
      ['password123', /commonly used password/],
      ['qwertyuiop', /frequently used password/],
      [`${localPart}123`, /personal or page related data/],
    ];
    const replies = [];
    for (const [password] of weak) replies.push(await mutate(base, 'auth.register', { email, password, name: 'Signup' }));
    const accounts = await db.orm.em.getConnection().execute('select id from users where email = ?', [email]);
    const wrong =
      replies.filter((r, i) => r.status !== 400 || r.code !== 'BAD_REQUEST' || !weak[i]?.[1].test(r.message) || r.setCookie.length > 0)
        .length + accounts.length;
    row('abuse: common passwords refused at sign-up', replies.length, wrong, 'sequential', await writtenSince(before));
    replies.forEach((reply, i) => {
      expect(reply, weak[i]?.[0]).toMatchObject({ status: 400, code: 'BAD_REQUEST', setCookie: [] });
      expect(reply.message).toMatch(/^password is too easy to guess: \S/);
      expect(reply.message).toMatch(weak[i]?.[1] ?? /./);
    });
    expect(accounts).toEqual([]);
    // The email itself was fine: a strong password signs it up.
    expect((await mutate(base, 'auth.register', { email, password: PASSWORD, name: 'Signup' })).status).toBe(200);
  });
});

// The fallback secret that once sat in apps/server/src/env.ts, published with the source.
const PUBLISHED_SECRET = 'development-only-session-secret-do-not-deploy';

/** A session cookie as packages/auth/src/session.ts seals it, for `user`, with `secret`. */
async function sealedCookie(secret: string, user: { id: string; sv: number }): Promise<string> {
  const now = Date.now();
  const seal = await sealData({ uid: user.id, sv: user.sv, iat: now, seen: now }, { password: { '1': secret } });
  return `${SESSION_COOKIE}=${seal}`;
}

async function staffOf(database: TestDatabase): Promise<{ id: string; sv: number }> {
  const [staff] = await database.orm.em
    .getConnection()
    .execute<{ id: string; sv: number }[]>('select id, session_version as sv from users where email = ?', [DEMO.staff.email]);
  if (!staff) throw new Error(`no ${DEMO.staff.email} in ${database.url}`);
  return staff;
}

async function countRows(database: TestDatabase, table: 'users' | 'products'): Promise<number> {
  const [counted] = await database.orm.em.getConnection().execute<{ n: number }[]>(`select count(*)::int as n from ${table}`);
  return counted?.n ?? -1;
}

describe('secrets and demo data', () => {
  it('no published secret seals a cookie: a staff cookie forged with it opens no session, on the cluster or a default install', async () => {
    const before = await digest(db.url);
    // A default install: `pnpm start` with no NODE_ENV and no SESSION_SECRET, its own data folder.
    const fresh = await createTestDatabase(inject('pgAdminUrl'));
    const dataDir = await mkdtemp(join(tmpdir(), 'shop-default-install-'));
    let install: ShopInstance | undefined;
    try {
      install = await startInstance('default-install', {
        NODE_ENV: undefined,
        SESSION_SECRET: undefined,
        DATA_DIR: dataDir,
        DATABASE_URL: fresh.url,
        SEED_PRODUCTS: '5',
        LOG_LEVEL: 'silent',
      });
      const environ = (await readFile(`/proc/${install.pid}/environ`, 'utf8')).split('\0');
      const secretFile = join(dataDir, 'session-secret');
      const mode = (await stat(secretFile)).mode & 0o777;

      const targets = [
        { at: [base, ...cluster.instances.map((i) => i.url)], staff: await staffOf(db), secret: SESSION_SECRET },
        { at: [install.url], staff: await staffOf(fresh), secret: (await readFile(secretFile, 'utf8')).trim() },
      ];
      const seen: { url: string; me: TrpcReply; orders: TrpcReply; control: TrpcReply }[] = [];
      for (const { at, staff, secret } of targets) {
        const forged = await sealedCookie(PUBLISHED_SECRET, staff);
        // The same data sealed with the real secret opens a staff session: the refusal is the secret's.
        const genuine = await sealedCookie(secret, staff);
        for (const url of at) {
          seen.push({
            url,
            me: await query(url, 'auth.me', undefined, forged),
            orders: await query(url, 'admin.order.list', undefined, forged),
            control: await query(url, 'auth.me', undefined, genuine),
          });
        }
      }
      const sent = seen.length * 3;
      const wrong = seen
        .flatMap(({ me, orders, control }) => [
          me.status === 200 && me.data === null,
          orders.code === 'UNAUTHORIZED',
          (control.data as { email?: string } | null)?.email === DEMO.staff.email,
        ])
        .filter((ok) => !ok).length;
      row(
        'abuse: no published secret seals a cookie',
        sent,
        wrong,
        'sequential, every instance and a default install',
        await writtenSince(before),
        'staff cookie sealed with the published secret',
      );
      for (const { url, me, orders, control } of seen) {
        expect(me, url).toMatchObject({ status: 200, data: null });
        expect(orders.code, url).toBe('UNAUTHORIZED');
        expect(control.data, url).toMatchObject({ email: DEMO.staff.email, role: 'staff' });
      }
      expect(environ.filter((v) => /^(SESSION_SECRET|NODE_ENV)=/.test(v))).toEqual([]);
      expect(mode).toBe(0o600);
    } finally {
      await install?.stop('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
      await fresh.drop();
    }
  });

  it('a production start refuses the embedded database and creates no demo account', async () => {
    const secret = 'production-start-secret-0123456789abcdefghij';
    const dataDir = await mkdtemp(join(tmpdir(), 'shop-production-'));
    const fresh = await createTestDatabase(inject('pgAdminUrl'));
    let server: ShopInstance | undefined;
    try {
      // No DATABASE_URL: the embedded database would live in the container or checkout.
      const embedded = await exitOfInstance('production-embedded', {
        NODE_ENV: 'production',
        SESSION_SECRET: secret,
        DATABASE_URL: undefined,
        DATA_DIR: dataDir,
      });
      // A database of its own, asking for the demo catalog: products, and no account at all.
      server = await startInstance('production', {
        NODE_ENV: 'production',
        SESSION_SECRET: secret,
        DATABASE_URL: fresh.url,
        DATA_DIR: dataDir,
        SEED_PRODUCTS: '5',
        COOKIE_SECURE: 'false',
        LOG_LEVEL: 'silent',
      });
      const signIns = [await mutate(server.url, 'auth.login', DEMO.staff), await mutate(server.url, 'auth.login', DEMO.shopper)];
      const users = await countRows(fresh, 'users');
      const products = await countRows(fresh, 'products');
      const wrong = (embedded.code === 78 ? 0 : 1) + signIns.filter((r) => r.code !== 'UNAUTHORIZED').length;
      row(
        'abuse: production start, no demo account, no embedded database',
        1 + signIns.length,
        wrong,
        '2 starts, 2 sign-ins',
        users,
        'NODE_ENV=production',
      );
      expect(embedded.code, embedded.stderr).toBe(78);
      expect(embedded.stderr).toMatch(/DATABASE_URL: required in production/);
      for (const reply of signIns) expect(reply).toMatchObject({ status: 401, code: 'UNAUTHORIZED', setCookie: [] });
      expect(users).toBe(0);
      expect(products).toBe(5);
    } finally {
      await server?.stop('SIGTERM');
      await fresh.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
