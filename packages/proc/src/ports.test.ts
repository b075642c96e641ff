import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, freePorts, portIsFree } from './ports.ts';

describe('freePorts', () => {
  it('hands out distinct ports, also before any of them is bound', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
  });

  it('stays inside a given range and skips ports in use', async () => {
    const [busy = 0] = await freePorts(1, { first: 4300, last: 4399 });
    const server = createServer().listen(busy, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    expect(await portIsFree(busy)).toBe(false);
    const ports = await freePorts(10, { first: busy, last: busy + 10 });
    expect(ports).not.toContain(busy);
    for (const port of ports) expect(port).toBeGreaterThan(busy);
    expect(ports.every((port) => port <= busy + 10)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
  });

  it('says so when the range has no free port', async () => {
    const port = await freePort();
    const server = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    await expect(freePort({ first: port, last: port })).rejects.toThrow(`no free port in ${port}–${port}`);
    await new Promise((resolve) => server.close(resolve));
  });
});
