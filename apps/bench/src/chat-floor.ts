// The chat's durable floor: what any chat that keeps its messages must do, with nothing else (no
// tRPC, no session, no validation, no ORM). Two processes, as the issue defines it:
//   node chat-floor.ts store <port> <databaseUrl> <redisUrl>   inserts each message (one
//     autocommitted INSERT: insert + commit), publishes it on Redis, then answers the sender;
//   node chat-floor.ts fanout <port> <redisUrl>               subscribes on Redis and writes each
//     message to the WebSockets subscribed to its room.
// Both speak the small part of tRPC's WebSocket protocol the load workers use (a mutation answered
// by id; a subscription "started", then "data"), so the same client code measures shop and floor.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type WebSocket, WebSocketServer } from 'ws';

interface Call {
  id: number;
  method: string;
  params?: { input?: { roomId?: string; text?: string } };
}

const [role, portArg, ...rest] = process.argv.slice(2);
const port = Number(portArg);
const CHANNEL = 'chat-floor:';

const server = createServer((_req, res) => res.end('ok'));
const wss = new WebSocketServer({ server, path: '/trpc', perMessageDeflate: false });

if (role === 'store') {
  const [databaseUrl, redisUrl] = rest;
  // As many connections as the shop's three instances have in total (3 × DB_POOL_MAX 10), all
  // opened at start and kept, as the instances keep theirs (DB_POOL_MIN).
  const db = new pg.Pool({ connectionString: databaseUrl, max: 30, min: 30 });
  await Promise.all(Array.from({ length: 30 }, () => db.query('select 1')));
  await db.query(
    'create table if not exists bench_chat_floor (id bigserial primary key, room text not null, body text not null, created_at timestamptz not null default now())',
  );
  const redis = new Redis(redisUrl ?? '');
  wss.on('connection', (ws: WebSocket) =>
    ws.on('message', async (raw) => {
      let call: Call;
      try {
        call = JSON.parse(raw.toString()) as Call;
      } catch {
        return;
      }
      const { roomId = '', text = '' } = call.params?.input ?? {};
      try {
        // Prepared once per connection, as the shop's chat.send is.
        const { rows } = await db.query<{ id: string }>({
          name: 'floor_insert',
          text: 'insert into bench_chat_floor (room, body) values ($1, $2) returning id',
          values: [roomId, text],
        });
        const id = rows[0]?.id ?? '';
        await redis.publish(`${CHANNEL}${roomId}`, JSON.stringify({ id, text }));
        ws.send(JSON.stringify({ id: call.id, result: { type: 'data', data: { id } } }));
      } catch (error) {
        ws.send(JSON.stringify({ id: call.id, error: { message: (error as Error).message, data: { httpStatus: 500 } } }));
      }
    }),
  );
} else if (role === 'fanout') {
  const [redisUrl] = rest;
  const rooms = new Map<string, Map<WebSocket, number>>();
  const redis = new Redis(redisUrl ?? '');
  await redis.psubscribe(`${CHANNEL}*`);
  redis.on('pmessage', (_pattern, channel, message) => {
    const { id, text } = JSON.parse(message) as { id: string; text: string };
    for (const [ws, subId] of rooms.get(channel.slice(CHANNEL.length)) ?? []) {
      ws.send(JSON.stringify({ id: subId, result: { type: 'data', id, data: { id, data: { text } } } }));
    }
  });
  wss.on('connection', (ws: WebSocket) => {
    const joined: string[] = [];
    ws.on('message', (raw) => {
      let call: Call;
      try {
        call = JSON.parse(raw.toString()) as Call;
      } catch {
        return;
      }
      const roomId = call.params?.input?.roomId ?? '';
      const room = rooms.get(roomId) ?? new Map<WebSocket, number>();
      rooms.set(roomId, room);
      room.set(ws, call.id);
      joined.push(roomId);
      ws.send(JSON.stringify({ id: call.id, result: { type: 'started' } }));
    });
    ws.on('close', () => {
      for (const roomId of joined) rooms.get(roomId)?.delete(ws);
    });
  });
} else {
  throw new Error('usage: node chat-floor.ts store <port> <databaseUrl> <redisUrl> | fanout <port> <redisUrl>');
}

server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => process.exit(0));
