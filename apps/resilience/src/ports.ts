// Every server this suite starts listens on 127.0.0.1 in 4800–4999, the range it was given.
import { createServer } from 'node:net';

const FIRST = 4800;
const COUNT = 200;
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port of the range that nothing listens on and that this process has not handed out yet. */
export async function freePort(): Promise<number> {
  // A random start keeps two test files (separate workers) from racing for the same port.
  const offset = Math.floor(Math.random() * COUNT);
  for (let i = 0; i < COUNT; i++) {
    const port = FIRST + ((offset + i) % COUNT);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${FIRST}–${FIRST + COUNT - 1}`);
}
