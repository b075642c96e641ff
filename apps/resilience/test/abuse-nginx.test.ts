// B. Abuse, through the cluster: the security headers every response carries, and what Nginx
// publishes and runs as (no source maps, no root worker, the compose configuration's Origin
// checks). (Set-up and summary counters: src/abuse.ts.)
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SESSION_COOKIE } from '@shop/auth';
import { defaultWebDist, startComposeNginx } from '@shop/nginx';
import { describe, expect, it } from 'vitest';
import { abuseCluster, base, cluster, countRequests, db, EVIL, row, writtenSince } from '../src/abuse.ts';
import { digest } from '../src/digest.ts';
import { cookieOf, mutate, PASSWORD, raw } from '../src/http.ts';
import { upgradeStatus } from '../src/live.ts';
import { freePort } from '../src/ports.ts';

const execFileAsync = promisify(execFile);

abuseCluster('abuse: headers, what Nginx publishes');

describe('response headers through Nginx', () => {
  it('carries the security headers on the SPA, the API and errors, and no server version', async () => {
    const replies = [
      await raw(base, { method: 'GET', path: '/' }),
      await raw(base, { method: 'GET', path: '/orders/123' }),
      await raw(base, { method: 'GET', path: '/trpc/catalog.categories' }),
      await raw(base, { method: 'GET', path: '/trpc/orders.list' }),
      await raw(base, { method: 'POST', path: '/trpc/cart.add', headers: { 'content-type': 'text/plain', origin: EVIL }, body: '{}' }),
      await raw(base, { method: 'GET', path: '/no/such/file.js' }),
    ];
    countRequests(replies.length);
    for (const reply of replies) {
      const h = reply.headers;
      const csp = String(h['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(h['x-content-type-options']).toBe('nosniff');
      expect(h['x-frame-options']).toBe('DENY');
      expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
      expect(h['x-request-id']).toMatch(/^[0-9a-f-]{16,}$/);
      expect(h.server ?? '').not.toMatch(/\d/);
      expect(h['x-powered-by']).toBeUndefined();
    }
    // The SPA's HTML is never cached; the API's private answers are not stored by caches.
    expect(String(replies[0]?.headers['cache-control'])).toMatch(/no-cache|no-store/);
    expect(String(replies[3]?.headers['cache-control'])).toMatch(/no-store|private/);
  });
});

describe('what Nginx publishes and runs as', () => {
  it('publishes no source maps: no sourceMappingURL in any asset, and every .map answers 404', async () => {
    const before = await digest(db.url);
    const index = await raw(base, { method: 'GET', path: '/' });
    const spa = index.text;
    // Every asset index.html names, and every chunk those name in turn (lazy pages, CSS).
    const names = new Set<string>();
    const found = (text: string) => {
      const fresh = [...text.matchAll(/(?:\bassets\/|["'`]\.\/)([\w-]+\.(?:js|css))\b/g)]
        .map((m) => m[1] ?? '')
        .filter((n) => !names.has(n));
      for (const name of fresh) names.add(name);
      return fresh;
    };
    let wrong = index.status === 200 ? 0 : 1;
    const mapped: string[] = [];
    const maps: { path: string; status: number; spa: boolean }[] = [];
    for (let queue = found(spa); queue.length > 0; ) {
      const next: string[] = [];
      for (const name of queue) {
        const asset = await raw(base, { method: 'GET', path: `/assets/${name}` });
        const map = await raw(base, { method: 'GET', path: `/assets/${name}.map` });
        const hasMap = /sourceMappingURL/.test(asset.text) || 'sourcemap' in asset.headers || 'x-sourcemap' in asset.headers;
        if (hasMap) mapped.push(name);
        maps.push({ path: `/assets/${name}.map`, status: map.status, spa: map.text.includes('<div id="root">') });
        wrong += (asset.status === 200 && !hasMap ? 0 : 1) + (map.status === 404 && !map.text.includes('<div id="root">') ? 0 : 1);
        if (name.endsWith('.js')) next.push(...found(asset.text));
      }
      queue = next;
    }
    row(
      'abuse: no source maps published',
      1 + 2 * names.size,
      wrong,
      `${names.size} assets and their .map`,
      await writtenSince(before),
      'requests for source maps',
    );
    expect(index.status).toBe(200);
    expect([...names].some((n) => n.endsWith('.css'))).toBe(true);
    expect(names.size).toBeGreaterThan(5);
    expect(mapped).toEqual([]);
    for (const map of maps) expect(map, map.path).toEqual({ path: map.path, status: 404, spa: false });
  });

  it('runs no Nginx worker as root', async () => {
    const master = Number((await readFile(join(cluster.dir, 'nginx.pid'), 'utf8')).trim());
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=,uid=,args=', '--ppid', String(master)]);
    const children = stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [pid, uid, ...args] = line.trim().split(/\s+/);
        return { pid: Number(pid), uid: Number(uid), args: args.join(' ') };
      });
    // As root the workers switch to an unprivileged user; as anyone else they stay that user.
    const runner = process.getuid?.() ?? -1;
    const allowed = (uid: number) => (runner === 0 ? uid !== 0 : uid === runner);
    const workers = children.filter((c) => c.args.includes('worker process'));
    const wrong = children.filter((c) => !allowed(c.uid)).length + (workers.length > 0 ? 0 : 1);
    row(
      'abuse: Nginx workers never run as root',
      children.length,
      wrong,
      `${workers.length} workers, ${children.length - workers.length} other children; runner uid ${runner}`,
      0,
      'ps of the cluster’s Nginx',
    );
    expect(workers.length).toBeGreaterThan(0);
    for (const child of children) expect(allowed(child.uid), `${child.args} runs as uid ${child.uid}`).toBe(true);
  });

  it('the compose Nginx configuration passes a browser-shaped mutation and WebSocket from http://localhost:<port>, and refuses a foreign Origin', async () => {
    const first = cluster.instances[0];
    if (!first) throw new Error('no instance');
    const compose = await startComposeNginx({
      upstreams: [{ host: '127.0.0.1', port: first.port }],
      webDist: defaultWebDist,
      httpPort: await freePort(),
    });
    try {
      const page = `http://localhost:${compose.port}`;
      const browser = { host: `localhost:${compose.port}`, origin: page, 'sec-fetch-site': 'same-origin' };
      const foreign = { host: `localhost:${compose.port}`, origin: EVIL, 'sec-fetch-site': 'cross-site' };
      const email = `compose-${randomUUID().slice(0, 8)}@example.test`;
      const evilEmail = `compose-evil-${randomUUID().slice(0, 8)}@example.test`;
      const signUp = await mutate(
        compose.url,
        'auth.register',
        { email, password: PASSWORD, name: 'Compose' },
        undefined,
        undefined,
        browser,
      );
      const upgrade = await upgradeStatus(compose.url, { ...browser, cookie: cookieOf(signUp) });
      const evilSignUp = await mutate(
        compose.url,
        'auth.register',
        { email: evilEmail, password: PASSWORD, name: 'Evil' },
        undefined,
        undefined,
        foreign,
      );
      const evilUpgrade = await upgradeStatus(compose.url, foreign);
      const accounts = async (address: string) =>
        (await db.orm.em.getConnection().execute('select id from users where email = ?', [address])).length;
      const [created, evilCreated] = [await accounts(email), await accounts(evilEmail)];
      const wrong =
        (signUp.status === 200 && cookieOf(signUp).startsWith(`${SESSION_COOKIE}=`) ? 0 : 1) +
        (upgrade === 101 ? 0 : 1) +
        (evilSignUp.status === 403 ? 0 : 1) +
        (evilUpgrade === 403 ? 0 : 1);
      row(
        'abuse: compose Nginx config passes a browser-shaped mutation',
        4,
        wrong,
        'sequential, compose config before instance i1',
        Math.abs(created - 1) + evilCreated,
        'browser-shaped and foreign-Origin requests',
      );
      expect(signUp.status, signUp.message).toBe(200);
      expect(cookieOf(signUp)).toMatch(new RegExp(`^${SESSION_COOKIE}=.`));
      expect(upgrade).toBe(101);
      expect(evilSignUp.status).toBe(403);
      expect(evilUpgrade).toBe(403);
      expect([created, evilCreated]).toEqual([1, 0]);
    } finally {
      await compose.stop();
    }
  });
});
