// The Kubernetes manifests' Nginx configuration (apps/server/deploy/k8s): rendered by the cluster's
// renderer and committed, then run in a real nginx with this machine's values in place of the pod's
// (see startLocalNginx). How the manifests mount and wire it is checked in apps/server/test/k8s/.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@shop/proc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardOpenFilesLimit, type WorkerCapacity, workerCapacity } from '../src/capacity.ts';
import { K8S_NGINX, k8sDir, k8sNginxFiles, renderK8sConfig } from '../src/k8s.ts';
import { type LocalNginx, startLocalNginx } from '../src/local.ts';
import { type FakeUpstream, fakeUpstream, httpsGet, rawRequest, selfSignedCert, spaFixture, tempDir } from './support.ts';

describe('the Kubernetes Nginx configuration', () => {
  it('is committed exactly as the renderer writes it (`pnpm k8s:render` rewrites it)', async () => {
    for (const [path, text] of Object.entries(k8sNginxFiles())) expect(await readFile(join(k8sDir, path), 'utf8'), path).toBe(text);
  });

  it('runs unprivileged: ports above 1024 and no user switch; forwards to the shop-server Service', () => {
    for (const config of [renderK8sConfig('base'), renderK8sConfig('production')]) {
      expect(config).not.toMatch(/^user /m);
      expect(config).toContain('listen 0.0.0.0:8080 reuseport;');
      expect(config).toContain('server shop-server:3000 ');
      expect(config).toContain(`worker_processes ${K8S_NGINX.capacity.workerProcesses};`);
    }
    expect(renderK8sConfig('production')).toContain('listen 0.0.0.0:8443 ssl reuseport;');
  });

  it('changes its checksum patch with its content, so a new configuration rolls the pods', () => {
    const files = k8sNginxFiles();
    const value = (patch: string | undefined) => /value: (\w+)/.exec(patch ?? '')?.[1];
    expect(value(files['base/nginx-config-checksum.yaml'])).toMatch(/^[0-9a-f]{16}$/);
    expect(value(files['base/nginx-config-checksum.yaml'])).not.toBe(value(files['overlays/production/nginx-config-checksum.yaml']));
  });
});

/** The first group of `pattern` in /proc/<pid>/<file>. */
async function procField(pid: number, file: string, pattern: RegExp): Promise<string | undefined> {
  return pattern.exec(await readFile(`/proc/${pid}/${file}`, 'utf8'))?.[1];
}

describe('the Kubernetes Nginx configurations in a real nginx', () => {
  let web: { path: string; remove(): Promise<void> };
  let upstream: FakeUpstream;
  const started: LocalNginx[] = [];

  beforeAll(async () => {
    web = await tempDir('shop-k8s-nginx-');
    await spaFixture(web.path);
    upstream = await fakeUpstream('pod');
  });
  afterAll(async () => {
    await Promise.all(started.map((nginx) => nginx.stop()));
    await upstream?.close();
    await web?.remove();
  });

  it('base: serves the SPA and proxies /trpc over HTTP', async () => {
    const nginx = await startLocalNginx((o) => renderK8sConfig('base', o), {
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      webDist: web.path,
    });
    started.push(nginx);
    const page = await fetch(`${nginx.url}/products/some-deep-link`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const api = await rawRequest(`${nginx.url}/trpc/catalog.categories`, {});
    expect(JSON.parse(api.body)).toMatchObject({ result: { data: { instance: 'pod' } } });
    expect(upstream.seen.at(-1)?.headers['x-forwarded-proto']).toBe('http');
  });

  it('base, started as its pod starts it (non-root, soft limit 1,024): the workers get worker_rlimit_nofile up to the hard limit', async () => {
    // A container's hard limit is 524,288 (containerd 2) or 1,048,576, above the committed
    // worker_rlimit_nofile; this machine's may be lower, so sizing for it stands in here.
    const hard = hardOpenFilesLimit();
    const { openFiles } = K8S_NGINX.capacity;
    expect(openFiles).toBeLessThanOrEqual(524_288);
    const start = (capacity: WorkerCapacity) =>
      startLocalNginx((o) => renderK8sConfig('base', { ...o, capacity }), {
        upstreams: [{ host: '127.0.0.1', port: upstream.port }],
        webDist: web.path,
        unprivileged: { openFiles: { soft: 1024, hard } },
      });
    /** The open-file limit of each worker (the master's other children manage the cache). */
    const workerLimits = async (nginx: LocalNginx) => {
      const children = (await readFile(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8')).trim().split(/\s+/);
      const limits: number[] = [];
      for (const pid of children) {
        if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes('worker process')) continue;
        limits.push(Number(await procField(Number(pid), 'limits', /^Max open files\s+(\d+)/m)));
      }
      return limits;
    };

    const sized = workerCapacity({ openFiles: hard, cores: 2 });
    const fits = await start(sized);
    started.push(fits);
    expect((await rawRequest(`${fits.url}/trpc/catalog.categories`, {})).status).toBe(200);
    expect(await procField(fits.pid, 'status', /^Uid:\s+(\d+)/m)).not.toBe('0');
    // Workers start after the port listens, and set their limit first thing.
    await expect.poll(() => workerLimits(fits)).toEqual(Array(sized.workerProcesses).fill(sized.openFiles));
    expect(await readFile(fits.errorLog, 'utf8')).not.toMatch(/setrlimit/);

    // Above the hard limit, the workers keep the soft 1,024 and nginx says so.
    const above = await start({ ...K8S_NGINX.capacity, openFiles: hard + 1 });
    started.push(above);
    await expect.poll(() => workerLimits(above)).toEqual(Array(K8S_NGINX.capacity.workerProcesses).fill(1024));
    expect(await readFile(above.errorLog, 'utf8')).toMatch(/setrlimit\(RLIMIT_NOFILE, \d+\) failed/);
  });

  it('production: HTTPS with HSTS, and plain HTTP only redirects to HTTPS', async () => {
    const certs = await tempDir('shop-k8s-tls-');
    try {
      const { certificate, key } = await selfSignedCert(certs.path);
      const tlsPort = await freePort();
      const nginx = await startLocalNginx((o) => renderK8sConfig('production', o), {
        upstreams: [{ host: '127.0.0.1', port: upstream.port }],
        webDist: web.path,
        tls: { port: tlsPort, certificate, key },
      });
      started.push(nginx);

      const redirect = await rawRequest(`${nginx.url}/trpc/catalog.list?input=1`, { headers: { host: 'shop.example' } });
      expect(redirect.status).toBe(301);
      expect(redirect.headers.location).toBe('https://shop.example/trpc/catalog.list?input=1');
      expect(upstream.seen.some((s) => s.url.includes('input=1'))).toBe(false);

      const secure = await httpsGet(`https://127.0.0.1:${tlsPort}/`);
      expect(secure.status).toBe(200);
      expect(secure.headers['strict-transport-security']).toBe('max-age=63072000');
      const api = await httpsGet(`https://127.0.0.1:${tlsPort}/trpc/catalog.categories`);
      expect(api.status).toBe(200);
      expect(upstream.seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
    } finally {
      await certs.remove();
    }
  });
});
