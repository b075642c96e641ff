// Idle sockets from one process: each subscribed to the lobby through Nginx, from many loopback
// addresses, held until the parent says stop.
import type WebSocket from 'ws';
import { config, onParent, run, send } from './ipc.ts';
import { clientAddress, pool, subscribe } from './ws-client.ts';

export interface SocketsConfig {
  /** Nginx, as browsers reach the shop (without it, the instances in turn). */
  urls: string[];
  cookies: string[];
  count: number;
  /** The first client number of this process (for cookies and source addresses). */
  offset: number;
  openSeconds: number;
  label: string;
}

export interface SocketsResult {
  opened: number;
  failed: number;
  openAtEnd: number;
  firstError: string | null;
}

run(async () => {
  const c = await config<SocketsConfig>();
  const sockets: WebSocket[] = [];
  let failed = 0;
  let firstError: string | null = null;
  const deadline = performance.now() + c.openSeconds * 1000;
  const slots = Array.from({ length: c.count }, (_, k) => k);
  await pool(slots, 64, async (k) => {
    if (performance.now() > deadline) return;
    const client = c.offset + k;
    try {
      const { ws } = await subscribe(
        c.urls[client % c.urls.length] ?? '',
        c.cookies[client % c.cookies.length] ?? '',
        'chat.onMessage',
        { roomId: 'lobby' },
        () => {},
        {
          localAddress: clientAddress(client),
        },
      );
      sockets.push(ws);
    } catch (error) {
      failed++;
      firstError ??= (error as Error).message;
    }
    if (k % 250 === 0) send({ type: 'progress', text: `${c.label}: ${sockets.length} open, ${failed} failed` });
  });
  send({ type: 'ready', opened: sockets.length, failed });
  await new Promise<void>((resolve) => onParent((m) => m.type === 'stop' && resolve()));
  const openAtEnd = sockets.filter((ws) => ws.readyState === ws.OPEN).length;
  for (const ws of sockets) ws.terminate();
  return { opened: sockets.length, failed, openAtEnd, firstError } satisfies SocketsResult;
});
