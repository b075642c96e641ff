// Every port the benchmark listens on comes from its own range.
import { createServer } from 'node:net';

const FIRST = 4500;
const LAST = 4799;
let next = FIRST;

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function port(): Promise<number> {
  for (let tries = 0; tries <= LAST - FIRST; tries++) {
    const candidate = next;
    next = next >= LAST ? FIRST : next + 1;
    if (await free(candidate)) return candidate;
  }
  throw new Error(`no free port in ${FIRST}–${LAST}`);
}

export async function ports(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await port());
  return out;
}
