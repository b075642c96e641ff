// The rendered configuration in a real nginx, in front of stand-in instances that record exactly
// what nginx forwards: headers, limits, the micro-cache's privacy rules, static files, TLS.
import { rm, writeFile } from 'node:fs/promises';
import { freePort } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNginx, type NginxProcess, nginxProcess, preparePrefix, testConfig, workerUser } from '../src/nginx.ts';
import { drainFlag, prefixPaths } from '../src/prefix.ts';
import { instancePorts, type RenderOptions, renderNginxConfig } from '../src/render.ts';
import { CONTENT_SECURITY_POLICY } from '../src/server-block.ts';
import { type FakeUpstream, fakeUpstream, httpsGet, rawRequest, selfSignedCert, spaFixture, tempDir } from './support.ts';

const bin = findNginx();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function checkedConfig(options: Omit<RenderOptions, 'prefix'>): Promise<string> {
  const dir = await tempDir('shop-nginx-t-');
  cleanups.push(dir.remove);
  await preparePrefix(dir.path);
  const config = renderNginxConfig({ ...options, prefix: dir.path });
  await writeFile(prefixPaths(dir.path).conf, config);
  await testConfig(bin, dir.path);
  return config;
}

describe('rendered configuration', () => {
  it.each([1, 3, 5])('passes nginx -t with %i instances, one upstream server each', async (n) => {
    const ports = instancePorts(n, 4301);
    const config = await checkedConfig({
      httpPort: 4300,
      upstreams: ports.map((port, i) => ({ name: `i${i + 1}`, port })),
      webDist: '/nonexistent',
    });
    const group = /upstream shop_instances \{([^}]*)\}/.exec(config)?.[1] ?? '';
    expect(group.match(/server 127\.0\.0\.1:\d+ max_fails=3 fail_timeout=10s;/g)).toEqual(
      ports.map((p) => `server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`),
    );
    // A group without each instance, for its drain (none when there is only one).
    expect(config.match(/upstream shop_without_i\d+ /g) ?? []).toHaveLength(n > 1 ? n : 0);
  });

  it('passes nginx -t with the TLS server for a self-signed certificate', async () => {
    const certs = await tempDir('shop-nginx-cert-');
    cleanups.push(certs.remove);
    const tls = { port: 4343, ...(await selfSignedCert(certs.path)) };
    const config = await checkedConfig({ httpPort: 4300, upstreams: [{ name: 'i1', port: 4301 }], webDist: '/nonexistent', tls });
    expect(config).toContain('listen 127.0.0.1:4343 ssl reuseport;');
  });

  it('refuses a path that would change the meaning of the config', () => {
    expect(() =>
      renderNginxConfig({ prefix: '/tmp/x', httpPort: 1, upstreams: [{ name: 'i1', port: 2 }], webDist: '/srv/$evil";' }),
    ).toThrow(/unsupported character/);
  });
});

describe('nginx in front of stand-in instances', () => {
  let nginx: NginxProcess;
  let upstreams: FakeUpstream[];
  let base: string;
  let tlsBase: string;
  let asset: string;
  let prefix: string;
  let render: (generation: number) => string;
  const seen = (pathPart: string) => upstreams.flatMap((u) => u.seen).filter((s) => s.url.includes(pathPart));

  beforeAll(async () => {
    const prefixDir = await tempDir('shop-nginx-');
    cleanups.push(prefixDir.remove);
    prefix = prefixDir.path;
    const web = await tempDir('shop-nginx-web-');
    cleanups.push(web.remove);
    ({ asset } = await spaFixture(web.path));
    upstreams = [await fakeUpstream('a'), await fakeUpstream('b')];
    cleanups.push(async () => {
      for (const u of upstreams) await u.close();
    });
    const [httpPort, tlsPort] = [await freePort(), await freePort()];
    const tls = { port: tlsPort, ...(await selfSignedCert(prefix)) };
    nginx = nginxProcess(bin, prefix);
    cleanups.push(() => nginx.stop());
    render = (generation) =>
      renderNginxConfig({
        prefix,
        httpPort,
        upstreams: upstreams.map((u, i) => ({ name: `i${i + 1}`, port: u.port })),
        webDist: web.path,
        tls,
        generation,
        user: workerUser(),
        // The global limit out of the way; a sign-in limit small enough to reach.
        rateLimits: { requestsPerSecond: 1000, burst: 1000, authPerMinute: 6, authBurst: 3 },
      });
    await nginx.start(render);
    base = `http://127.0.0.1:${httpPort}`;
    tlsBase = `https://127.0.0.1:${tlsPort}`;
  });

  const expectSecurityHeaders = (headers: Headers) => {
    expect(headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(headers.get('strict-transport-security')).toBeNull();
  };

  it('sends the security headers on static files, proxied answers and its own errors', async () => {
    for (const path of ['/', asset, '/trpc/cart.get', '/health', '/assets/missing.js']) {
      const res = await fetch(`${base}${path}`);
      await res.arrayBuffer();
      expectSecurityHeaders(res.headers);
    }
    // One copy each, not the instance's plus nginx's.
    const proxied = await rawRequest(`${base}/trpc/cart.get`, {});
    expect(proxied.headers['x-content-type-options']).toBe('nosniff');
    expect(proxied.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('sends HSTS on the TLS server only', async () => {
    const secure = await httpsGet(`${tlsBase}/`);
    expect(secure.status).toBe(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=63072000');
    expect(secure.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const plain = await fetch(`${base}/`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it("keeps the instances' probes and metrics private", async () => {
    for (const path of ['/health', '/ready', '/metrics', '/metrics/', '/ready?x=1']) {
      const res = await fetch(`${base}${path}`);
      await res.arrayBuffer();
      expect(res.status, path).toBe(404);
    }
    expect(seen('/health').length + seen('/ready').length + seen('/metrics').length).toBe(0);
  });

  it('serves the SPA: deep links get index.html, hashed assets are immutable and gzipped', async () => {
    const page = await fetch(`${base}/products/some-slug`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<div id="root">');
    const js = await rawRequest(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(js.headers['content-type']).toBe('application/javascript');
    const missing = await fetch(`${base}/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    // Proxied answers keep the instance's own Cache-Control.
    const api = await fetch(`${base}/trpc/cart.get`);
    expect(api.headers.get('cache-control')).toBe('no-store');
  });

  it('overwrites X-Forwarded-For and X-Request-Id, so a client cannot forge them', async () => {
    const res = await rawRequest(`${base}/trpc/auth.me?probe=xff`, {
      headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1', 'x-real-ip': '203.0.113.7', 'x-request-id': 'forged' },
    });
    const [forwarded] = seen('probe=xff');
    expect(forwarded?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(forwarded?.headers['x-real-ip']).toBe('127.0.0.1');
    expect(forwarded?.headers['x-request-id']).toBe(res.headers['x-request-id']);
    expect(res.headers['x-request-id']).not.toBe('forged');
  });

  it('spreads requests round-robin over the instances', async () => {
    const names: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${base}/trpc/auth.me`);
      await res.arrayBuffer();
      names.push(res.headers.get('x-instance') ?? '');
    }
    expect(names.filter((n) => n === 'a')).toHaveLength(3);
    expect(names.filter((n) => n === 'b')).toHaveLength(3);
  });

  it('takes an instance out of rotation while its drain flag exists, with no reload', async () => {
    const flag = drainFlag(prefix, 'i1');
    const names = async () => {
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${base}/trpc/auth.me`);
        await res.arrayBuffer();
        got.push(res.headers.get('x-instance') ?? '');
      }
      return got;
    };
    await writeFile(flag, '');
    try {
      expect(await names()).toEqual(['b', 'b', 'b', 'b']);
    } finally {
      await rm(flag);
    }
    expect((await names()).filter((n) => n === 'a')).toHaveLength(2);
  });

  it('skips a failed instance, and takes it back at once after a reload', async () => {
    const names = async (count = 6) => {
      const got: string[] = [];
      for (let i = 0; i < count; i++) {
        const res = await fetch(`${base}/trpc/auth.me`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        got.push(res.headers.get('x-instance') ?? '');
      }
      return got.filter((n) => n === 'a').length;
    };
    const port = upstreams[0]?.port ?? 0;
    await upstreams[0]?.close();
    // Refused connections are retried on the other instance: nothing fails. Enough requests for
    // three failures (max_fails) even as nginx lowers the failing instance's weight.
    expect(await names(20)).toBe(0);
    upstreams[0] = await fakeUpstream('a', port);
    // Marked failed (max_fails) for fail_timeout: still skipped, until a reload forgets it.
    expect(await names()).toBe(0);
    await nginx.reload(render);
    expect(await names()).toBe(3);
  });

  it('refuses a body over 100 KB with 413 before any instance sees it', async () => {
    const post = (size: number, marker: string) =>
      rawRequest(`${base}/trpc/chat.send?${marker}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'x'.repeat(size) }),
      });
    expect((await post(90 * 1024, 'small')).status).toBe(200);
    const big = await post(150 * 1024, 'big');
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ error: { data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 } } });
    expect(seen('big')).toHaveLength(0);
  });

  it('micro-caches anonymous catalog reads', async () => {
    const url = `${base}/trpc/catalog.list?input=${encodeURIComponent('{"sort":"name"}')}`;
    const first = await fetch(url);
    const second = await fetch(url);
    expect([first.headers.get('x-cache-status'), second.headers.get('x-cache-status')]).toEqual(['MISS', 'HIT']);
    expect(await second.json()).toEqual(await first.json());
    expect(seen('sort%22%3A%22name')).toHaveLength(1);
  });

  it('never caches nor serves from cache a request with a session, credentials, or a batch beyond the catalog', async () => {
    const url = `${base}/trpc/catalog.product?input=${encodeURIComponent('{"slug":"private"}')}`;
    for (const headers of [{ cookie: 'theme=dark; shop_session=sealed' }, { authorization: 'Bearer t' }]) {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      expect(res.headers.get('x-cache-status')).toBe('BYPASS');
    }
    // The signed-in answers were not stored: an anonymous visitor gets a fresh one.
    const anonymous = await fetch(url);
    expect(anonymous.headers.get('x-cache-status')).toBe('MISS');
    expect(seen('private')).toHaveLength(3);
    // A batch with a non-catalog procedure is not in the cached location at all.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/trpc/catalog.categories,auth.me?batch=1&input=%7B%7D`);
      await res.arrayBuffer();
      expect(res.headers.get('x-cache-status')).toBeNull();
    }
    expect(seen('/trpc/catalog.categories,auth.me')).toHaveLength(2);
  });

  it('never stores a response that sets a cookie', async () => {
    const url = `${base}/trpc/catalog.categories?setcookie=1`;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url);
      await res.arrayBuffer();
      expect(res.headers.get('x-cache-status')).toBe('MISS');
    }
    expect(seen('setcookie')).toHaveLength(3);
  });

  it('rate-limits sign-in and registration per IP, also inside a batch, at the nginx layer', async () => {
    const login = (path: string) =>
      rawRequest(`${base}/trpc/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login('auth.login')).status);
    // One at the rate plus a burst of three; the rest refused.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429]);
    const batched = await login('cart.get,auth.register?batch=1');
    expect(batched.status).toBe(429);
    expect(batched.headers['x-instance']).toBeUndefined();
    expect(JSON.parse(batched.body)).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS', httpStatus: 429 } } });
    expect(seen('auth.login')).toHaveLength(4);
    expect(seen('auth.register')).toHaveLength(0);
    // Other procedures are not held back by it.
    expect((await login('cart.add')).status).toBe(200);
  });
});
