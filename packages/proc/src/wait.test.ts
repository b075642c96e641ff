import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './ports.ts';
import { spawnTracked, stopAll } from './process.ts';
import { spawnRedis } from './redis.ts';
import { waitFor, waitForHttp, waitForPort } from './wait.ts';

afterEach(() => stopAll());

describe('waitFor', () => {
  it('times out with a message naming what it waited for', async () => {
    await expect(waitFor(async () => false, 'the moon', { timeoutMs: 200, intervalMs: 20 })).rejects.toThrow(
      'timed out after 0.2 s waiting for the moon',
    );
  });

  it('treats a throwing check as "not yet" and reports its last error', async () => {
    let calls = 0;
    await expect(
      waitFor(
        async () => {
          calls += 1;
          throw new Error('connection refused');
        },
        'a server',
        { timeoutMs: 100, intervalMs: 10 },
      ),
    ).rejects.toThrow('waiting for a server (last error: connection refused)');
    expect(calls).toBeGreaterThan(1);
  });

  it('resolves once the check passes', async () => {
    let calls = 0;
    await waitFor(async () => ++calls === 3, 'the third call', { intervalMs: 1 });
    expect(calls).toBe(3);
  });

  it('ends when the awaited process exits, with its exit code', async () => {
    const child = spawnTracked(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    await expect(waitFor(async () => false, 'the server', { child })).rejects.toThrow('the server exited (3) before it was ready');
  });
});

describe('waitForHttp and waitForPort', () => {
  it('resolve once a server answers', async () => {
    const port = await freePort();
    const server = createServer((req, res) => res.writeHead(req.url === '/ready' ? 200 : 503).end());
    const waiting = Promise.all([waitForHttp(`http://127.0.0.1:${port}/ready`), waitForPort(port)]);
    setTimeout(() => server.listen(port, '127.0.0.1'), 200);
    await waiting;
    await new Promise((resolve) => server.close(resolve));
  });

  it('waitForHttp keeps waiting while the answer is not 200', async () => {
    const port = await freePort();
    const server = createServer((_req, res) => res.writeHead(503).end()).listen(port, '127.0.0.1');
    await expect(waitForHttp(`http://127.0.0.1:${port}/ready`, 'ready', { timeoutMs: 300 })).rejects.toThrow(
      'waiting for ready (last error: answered 503)',
    );
    await new Promise((resolve) => server.close(resolve));
  });
});

describe('spawnRedis', () => {
  it('resolves once redis-server answers PING on its port', async () => {
    const port = await freePort();
    const child = await spawnRedis(port);
    await waitForPort(port, 'redis', { timeoutMs: 1_000 });
    expect(child.exitCode).toBeNull();
  });
});
