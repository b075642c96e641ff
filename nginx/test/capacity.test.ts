// Nginx's workers sized for WebSockets (src/capacity.ts): the sizing itself, and a real nginx that
// holds the sockets it was sized for through a small open-file limit, and refuses some when sized
// for fewer (so the sizing, not luck, is what holds them).
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort } from '@shop/proc';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { hardOpenFilesLimit, workerCapacity } from '../src/capacity.ts';
import { findNginx, nginxProcess, preparePrefix, workerUser } from '../src/nginx.ts';
import { renderNginxConfig } from '../src/render.ts';
import { spaFixture, tempDir } from './support.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('workerCapacity', () => {
  it('adds workers beyond the cores when one per core cannot hold the sockets', () => {
    // This machine's hard limit: 20,000 files. 20,000 sockets are 44,000 connections with HTTP.
    expect(workerCapacity({ sockets: 20_000, openFiles: 20_000, cores: 2 })).toEqual({
      workerProcesses: 3,
      workerConnections: 18_334,
      openFiles: 18_846,
    });
    expect(workerCapacity({ sockets: 1_000, openFiles: 20_000, cores: 2 }).workerProcesses).toBe(2);
    expect(workerCapacity({ sockets: 20_000, openFiles: 4_096, cores: 8 })).toEqual({
      workerProcesses: 16,
      workerConnections: 3_438,
      openFiles: 3_950,
    });
  });

  it('gives each worker its share, not every file the limit allows', () => {
    // systemd's usual hard limit: slots for all of it would cost ~180 MB per idle worker.
    const big = workerCapacity({ sockets: 20_000, openFiles: 524_288, cores: 16 });
    expect(big.workerProcesses).toBe(16);
    expect(big.workerConnections).toBe(3_438);
    expect(big.openFiles).toBe(3_950);
  });

  it('assumes two cores for a container, whose cores are not known when rendering', () => {
    expect(workerCapacity({ openFiles: 65_536 })).toEqual({ workerProcesses: 2, workerConnections: 27_500, openFiles: 28_012 });
  });

  it('refuses an open-file limit too small for a worker', () => {
    expect(() => workerCapacity({ openFiles: 1000 })).toThrow(/too few open files/);
  });

  it('reads the hard limit from /proc/self/limits', async () => {
    const dir = await tempDir('shop-limits-');
    cleanups.push(dir.remove);
    const file = join(dir.path, 'limits');
    const head = 'Limit                     Soft Limit           Hard Limit           Units     \n';
    await writeFile(file, `${head}Max open files            1024                 524288               files     \n`);
    expect(hardOpenFilesLimit(file)).toBe(524_288);
    await writeFile(file, `${head}Max open files            unlimited            unlimited            files     \n`);
    expect(hardOpenFilesLimit(file)).toBe(1_048_576);
    expect(hardOpenFilesLimit(join(dir.path, 'missing'))).toBe(4_096);
    expect(hardOpenFilesLimit()).toBeGreaterThan(0);
  });
});

/** A WebSocket upstream on /trpc that answers every message with "ok". */
async function echoUpstream(): Promise<number> {
  const server = createServer((_req, res) => res.end('{}'));
  const wss = new WebSocketServer({ server, path: '/trpc' });
  wss.on('connection', (ws) => ws.on('message', () => ws.send('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Opens `count` sockets through nginx (64 at a time), each answering once; counts those that did. */
async function openSockets(url: string, count: number): Promise<{ answered: number; sockets: WebSocket[] }> {
  const sockets: WebSocket[] = [];
  let answered = 0;
  let next = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      const done = () => resolve();
      ws.on('open', () => ws.send('hi'));
      ws.on('message', () => {
        answered++;
        done();
      });
      ws.on('error', done);
      ws.on('close', done);
      setTimeout(done, 10_000).unref();
    });
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < count) {
        next++;
        await one();
      }
    }),
  );
  return { answered, sockets };
}

describe('nginx sized for its sockets', () => {
  const SOCKETS = 500;
  // 1,024 open files per worker (512 connections): 500 sockets are 1,000 connections.
  const OPEN_FILES = 1_024;

  it.each([
    { sizedFor: SOCKETS, all: true },
    { sizedFor: 100, all: false },
  ])('holds $sizedFor-socket sizing → all 500 sockets: $all', async ({ sizedFor, all }) => {
    const capacity = workerCapacity({ sockets: sizedFor, openFiles: OPEN_FILES, cores: 1 });
    expect(capacity.workerProcesses).toBe(all ? 3 : 1);
    const prefix = await tempDir('shop-nginx-cap-');
    cleanups.push(prefix.remove);
    const web = await tempDir('shop-nginx-cap-web-');
    cleanups.push(web.remove);
    await spaFixture(web.path);
    await preparePrefix(prefix.path);
    const upstream = await echoUpstream();
    const httpPort = await freePort();
    const nginx = nginxProcess(findNginx(), prefix.path);
    cleanups.push(() => nginx.stop());
    await nginx.start((generation) =>
      renderNginxConfig({
        prefix: prefix.path,
        httpPort,
        upstreams: [{ name: 'i1', port: upstream }],
        webDist: web.path,
        user: workerUser(),
        capacity,
        generation,
        // Every socket comes from 127.0.0.1: the per-address request limit is not what is tested here.
        rateLimits: { requestsPerSecond: 100_000, burst: 100_000 },
      }),
    );
    const { answered, sockets } = await openSockets(`ws://127.0.0.1:${httpPort}/trpc`, SOCKETS);
    for (const ws of sockets) ws.terminate();
    await nginx.stop();
    if (all) expect(answered).toBe(SOCKETS);
    else expect(answered).toBeLessThan(SOCKETS);
  });
});
