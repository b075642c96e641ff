// apps/server/deploy/nginx.compose.conf: rendered by the cluster's renderer and committed, then run
// in a real nginx in front of a real instance. Docker cannot run here, so the test renders the same
// configuration with this machine's values in place of the container's (upstream address, port,
// prefix, SPA folder, worker user, log files; see startComposeNginx): every routing rule, header and
// limit stays as committed.

import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { type ShopInstance, startShopInstance } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { COMPOSE_NGINX, composeConfigFile, type LocalComposeNginx, renderComposeConfig, startComposeNginx } from '../src/compose.ts';
import { prefixPaths } from '../src/prefix.ts';
import { CONTENT_SECURITY_POLICY } from '../src/server-block.ts';
import { spaFixture, tempDir } from './support.ts';

describe('the compose Nginx configuration', () => {
  it('is committed exactly as the renderer writes it (`pnpm nginx:compose` rewrites it)', async () => {
    expect(await readFile(composeConfigFile, 'utf8')).toBe(renderComposeConfig());
  });

  it("has the cluster's security headers and limits, and forwards Host with its port", () => {
    const config = renderComposeConfig();
    expect(config).toContain(`add_header Content-Security-Policy "${CONTENT_SECURITY_POLICY}" always;`);
    expect(config).toMatch(/limit_req zone=shop_auth /);
    expect(config).toContain('proxy_set_header Host $http_host;');
    expect(config).not.toMatch(/\$host\b/);
    for (const app of ['app1', 'app2', 'app3']) expect(config).toContain(`server ${app}:3000 `);
    expect(config).toContain('user nginx nginx;');
  });

  it('needs only folders the Dockerfile creates in the nginx image', async () => {
    const dockerfile = await readFile(join(composeConfigFile, '../Dockerfile'), 'utf8');
    const paths = prefixPaths(COMPOSE_NGINX.prefix);
    // nginx creates the last part of each temp and cache path, not their parents.
    expect(dockerfile).toContain(`mkdir -p ${paths.temp} ${join(paths.cache, '..')}`);
  });
});

describe('the compose configuration in a real nginx, in front of a real instance', () => {
  let db: TestDatabase;
  let instance: ShopInstance;
  let web: { path: string; remove(): Promise<void> };
  let nginx: LocalComposeNginx;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase(inject('pgAdminUrl'));
    instance = await startShopInstance({
      name: 'compose',
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        SESSION_SECRET: 'compose-nginx-test-secret-0123456789abcdef',
        TRUST_PROXY: 'true',
        LOG_LEVEL: 'silent',
      },
    });
    web = await tempDir('shop-compose-web-');
    await spaFixture(web.path);
    nginx = await startComposeNginx({ upstreams: [{ host: '127.0.0.1', port: instance.port }], webDist: web.path });
    port = nginx.port;
  }, 120_000);

  afterAll(async () => {
    await nginx?.stop();
    await instance?.stop('SIGTERM');
    await web?.remove();
    await db?.drop();
  }, 60_000);

  /** A request as a browser on http://localhost:<port>/ sends it: Host and Origin with the port. */
  function browserPost(path: string, body: unknown): Promise<{ status: number; setCookie: string[]; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: {
            host: `localhost:${port}`,
            origin: `http://localhost:${port}`,
            'sec-fetch-site': 'same-origin',
            'content-type': 'application/json',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [], text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  it('passes a browser-shaped mutation from http://localhost:<port> to the instance', async () => {
    const email = `compose-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const res = await browserPost('/trpc/auth.register', { email, password: 'tulip-anchor-violet-88', name: 'Compose' });
    expect(res.status, res.text).toBe(200);
    expect(res.setCookie.join(';')).toContain('shop_session=');
  });

  it('upgrades a WebSocket opened from that origin (101)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/trpc`, {
        headers: { host: `localhost:${port}` },
        origin: `http://localhost:${port}`,
      });
      socket.once('upgrade', (res) => {
        resolve(res.statusCode ?? 0);
        socket.close();
      });
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', reject);
    });
    expect(status).toBe(101);
  });
});
