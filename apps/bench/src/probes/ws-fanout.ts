// Probe: what one bare `ws` server pays to fan a chat-sized frame out to N sockets (no tRPC,
// one JSON string for all), with the clients in another process. The floor under chat fan-out
// on this machine: the shop's chat scenario cannot deliver more frames per second than this.
//   N=1000 M=200 node src/probes/ws-fanout.ts
import { fork } from 'node:child_process';
import { WebSocket, WebSocketServer } from 'ws';
import { port } from '../lib/ports.ts';

const N = Number(process.env.N ?? 1_000);
const M = Number(process.env.M ?? 200);

if (process.argv[2] === 'client') {
  let open = 0;
  let received = 0;
  for (let i = 0; i < N; i++) {
    const ws = new WebSocket(process.argv[3] ?? '');
    ws.on('open', () => {
      if (++open === N) process.send?.('open');
    });
    ws.on('message', () => {
      if (++received === N * M) process.send?.('done');
    });
  }
} else {
  const p = await port();
  const wss = new WebSocketServer({ port: p, host: '127.0.0.1', perMessageDeflate: false });
  const clients = fork(new URL(import.meta.url).pathname, ['client', `ws://127.0.0.1:${p}`]);
  const next = () => new Promise((resolve) => clients.once('message', resolve));
  await next();
  const frame = JSON.stringify({
    id: 1,
    jsonrpc: '2.0',
    result: {
      type: 'data',
      id: '123',
      data: {
        id: '1',
        roomId: 'lobby',
        userId: 'u',
        userName: 'Someone',
        text: 'hello there, a chat message',
        createdAt: new Date().toISOString(),
      },
    },
  });
  const done = next();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let m = 0; m < M; m++) {
    for (const client of wss.clients) client.send(frame);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const sent = process.cpuUsage(cpu);
  await done;
  const wallS = (performance.now() - started) / 1000;
  const frames = N * M;
  console.log(
    `${N} sockets × ${M} messages = ${frames} frames: server ${((sent.user + sent.system) / frames).toFixed(1)} µs CPU per frame ` +
      `(${(sent.system / frames).toFixed(1)} in the kernel); all delivered in ${wallS.toFixed(2)} s = ${Math.round(frames / wallS)} frames/s`,
  );
  clients.kill();
  wss.close();
}
