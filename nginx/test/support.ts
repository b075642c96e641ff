// Small fixtures for the nginx tests: a stand-in upstream that records what nginx forwards, a tiny
// SPA build, a prefix dir and a self-signed certificate.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FakeUpstream {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

/**
 * Answers like an instance would: catalog reads are public (Cache-Control public, max-age=5),
 * anything else no-store; `?setcookie` adds a Set-Cookie. Every request is recorded.
 */
export async function fakeUpstream(name: string, port = 0): Promise<FakeUpstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const publicRead = req.method === 'GET' && /^\/trpc\/catalog\./.test(url.pathname) && !url.pathname.includes('auth.');
      res.setHeader('x-instance', name);
      // As the instances do; nginx must send one copy of its own, not both.
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      res.setHeader('content-type', 'application/json');
      res.setHeader('cache-control', publicRead ? 'public, max-age=5, stale-while-revalidate=30' : 'no-store');
      if (url.searchParams.has('setcookie')) res.setHeader('set-cookie', 'shop_session=sealed-for-one-user; Path=/; HttpOnly');
      res.end(JSON.stringify({ result: { data: { instance: name, n: seen.length } } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, 0o755);
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** An SPA build in miniature: index.html and one hashed asset large enough to be gzipped. */
export async function spaFixture(dir: string): Promise<{ asset: string }> {
  await mkdir(join(dir, 'assets'), { recursive: true });
  const asset = '/assets/index-AbC123.js';
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><html><head><script type="module" src="${asset}"></script></head><body><div id="root"></div></body></html>`,
  );
  await writeFile(join(dir, asset), `export const filler = ${JSON.stringify('x'.repeat(4096))};\n`);
  return { asset };
}

export async function selfSignedCert(dir: string): Promise<{ certificate: string; key: string }> {
  const certificate = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-keyout',
    key,
    '-out',
    certificate,
  ]);
  return { certificate, key };
}

/** A GET over HTTPS that accepts the self-signed certificate (fetch cannot be told to). */
export function httpsGet(url: string): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
  });
}

/** A raw request with exactly the headers given (fetch adds and forbids some). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
