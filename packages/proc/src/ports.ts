import { createServer } from 'node:net';

/** Inclusive bounds of the ports a suite may use, so parallel suites never race for one port. */
export interface PortRange {
  first: number;
  last: number;
}

// Ports this process handed out: two calls before either port is bound must still differ.
const handedOut = new Set<number>();

/** Whether a server could listen on `port` of `host` right now. */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function portInRange({ first, last }: PortRange, skipHandedOut: boolean): Promise<number | undefined> {
  const size = last - first + 1;
  // A random start keeps separate processes (vitest workers) from trying the same ports in turn.
  const offset = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = first + ((offset + i) % size);
    if (skipHandedOut && handedOut.has(port)) continue;
    if (await portIsFree(port)) return port;
  }
  return undefined;
}

/**
 * A port on 127.0.0.1 that nothing listens on and this process has not handed out yet: from
 * `range` when given, else one the OS picks. A long run that has used the whole range gets back
 * ports it handed out earlier once they are free again.
 */
export async function freePort(range?: PortRange): Promise<number> {
  let port: number | undefined;
  if (range) {
    port = (await portInRange(range, true)) ?? (await portInRange(range, false));
    if (port === undefined) throw new Error(`no free port in ${range.first}–${range.last}`);
  } else {
    do port = await osPort();
    while (handedOut.has(port) && handedOut.size < 1_000);
  }
  handedOut.add(port);
  return port;
}

/** `n` distinct free ports. */
export async function freePorts(n: number, range?: PortRange): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort(range));
  return ports;
}
