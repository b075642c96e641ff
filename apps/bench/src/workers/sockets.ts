// Idle sockets from one process: each subscribed to the lobby, spread over the instances, held
// until the parent says stop.
import type WebSocket from 'ws';
import { config, onParent, run, send } from './ipc.ts';
import { pool, subscribe } from './ws-client.ts';

export interface SocketsConfig {
  instances: string[];
  cookies: string[];
  count: number;
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
    const base = c.instances[(k + c.offset) % c.instances.length] ?? '';
    try {
      sockets.push(await subscribe(base, c.cookies[k % c.cookies.length] ?? '', 'chat.onMessage', { roomId: 'lobby' }, () => {}));
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
