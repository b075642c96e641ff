import type { ChatHistoryInput, ChatMessage, ChatRoom, ChatSendInput, ChatSubscribeInput, Page } from '@shop/schemas';
import type { AuthedContext } from '../context.ts';
import { notFound, ShopError } from '../errors.ts';
import { channels, publishQuietly, type Sequenced } from '../live/stream.ts';
import { userLiveStream } from '../live/user-stream.ts';
import { sql } from '../sql.ts';

interface MessageRow {
  seq: string | number;
  room_id: string;
  author_id: string;
  author_name: string;
  author_role: 'shopper' | 'staff';
  text: string;
  created_at: string;
  client_id: string | null;
}

const MESSAGE_COLUMNS = `m.seq, m.room_id, m.author_id, u.name as author_name, u.role as author_role, m.text, m.client_id,
  to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at`;

function toMessage(row: MessageRow): ChatMessage {
  return {
    id: Number(row.seq),
    roomId: row.room_id,
    author: { id: row.author_id, name: row.author_name, role: row.author_role },
    text: row.text,
    createdAt: row.created_at,
    clientId: row.client_id,
  };
}

const supportRoomId = (userId: string) => `support:${userId}`;

const ownSupportRoom = (ctx: AuthedContext): ChatRoom => ({
  id: supportRoomId(ctx.user.id),
  name: `Support: ${ctx.user.name}`,
  kind: 'support',
});

/**
 * The room if the caller may use it: the lobby for everyone signed in, a support room for its
 * shopper and for staff. Anything else is NOT_FOUND, whether or not it exists. A shopper's own
 * support room exists for them before its row does: the row is written by the first message
 * (`create`), so queries change nothing.
 */
async function enterRoom(ctx: AuthedContext, roomId: string, { create = false } = {}): Promise<ChatRoom> {
  const own = roomId === supportRoomId(ctx.user.id);
  if (roomId !== 'lobby' && !own && ctx.user.role !== 'staff') throw notFound('room');
  if (own && create) await ensureSupportRoom(ctx);
  const [room] = await sql<ChatRoom>(ctx.em, 'select id, name, kind from chat_rooms where id = ?', [roomId]);
  if (room) return room;
  if (own) return ownSupportRoom(ctx);
  throw notFound('room');
}

async function ensureSupportRoom(ctx: AuthedContext): Promise<void> {
  await sql(ctx.em, `insert into chat_rooms (id, kind, name, owner_id) values (?, 'support', ?, ?) on conflict (id) do nothing`, [
    supportRoomId(ctx.user.id),
    `Support: ${ctx.user.name}`,
    ctx.user.id,
  ]);
}

/** The lobby and the caller's support room; staff see every support room that has been used. */
export async function listRooms(ctx: AuthedContext): Promise<ChatRoom[]> {
  if (ctx.user.role !== 'staff') return [await enterRoom(ctx, 'lobby'), await enterRoom(ctx, supportRoomId(ctx.user.id))];
  return sql<ChatRoom>(ctx.em, 'select id, name, kind from chat_rooms order by kind, name');
}

/** Messages newest first, older pages through `before` (or the infinite query's cursor). */
export async function history(ctx: AuthedContext, input: ChatHistoryInput): Promise<Page<ChatMessage>> {
  const room = await enterRoom(ctx, input.roomId);
  const before = input.cursor ?? input.before;
  const rows = await sql<MessageRow>(
    ctx.em,
    `select ${MESSAGE_COLUMNS} from chat_messages m join users u on u.id = m.author_id
     where m.room_id = ?${before !== undefined ? ' and m.seq < ?' : ''}
     order by m.seq desc limit ?`,
    before !== undefined ? [room.id, before, input.limit + 1] : [room.id, input.limit + 1],
  );
  const more = rows.length > input.limit;
  const items = (more ? rows.slice(0, input.limit) : rows).map(toMessage);
  return { items, nextCursor: more ? String(items.at(-1)?.id) : null };
}

/**
 * Stores a message, then publishes it. Its number comes from the room row, incremented under
 * that row's lock inside the insert's transaction: numbers are dense and become visible in commit
 * order, so a subscriber resuming after N can never miss an N−1 that commits later.
 */
export async function send(ctx: AuthedContext, input: ChatSendInput): Promise<ChatMessage> {
  const room = await enterRoom(ctx, input.roomId, { create: true });
  const limit = await ctx.limits.chatSend.consume(ctx.user.id);
  if (!limit.allowed) {
    throw new ShopError('TOO_MANY_REQUESTS', `sending too fast; wait ${Math.ceil(limit.retryAfterMs / 1000)} s`);
  }
  const { message, fresh } = await ctx.em.transactional(async (em) => {
    await sql(em, 'select 1 from chat_rooms where id = ? for update', [room.id]);
    if (input.clientId) {
      // A retried send: the room lock makes this check and the insert one step.
      const [existing] = await sql<MessageRow>(
        em,
        `select ${MESSAGE_COLUMNS} from chat_messages m join users u on u.id = m.author_id where m.author_id = ? and m.client_id = ?`,
        [ctx.user.id, input.clientId],
      );
      if (existing) return { message: toMessage(existing), fresh: false };
    }
    const [seq] = await sql<{ last_seq: string }>(em, 'update chat_rooms set last_seq = last_seq + 1 where id = ? returning last_seq', [
      room.id,
    ]);
    const [row] = await sql<MessageRow>(
      em,
      `with m as (
         insert into chat_messages (room_id, seq, author_id, text, client_id) values (?, ?, ?, ?, ?)
         returning *
       )
       select ${MESSAGE_COLUMNS} from m join users u on u.id = m.author_id`,
      [room.id, seq?.last_seq, ctx.user.id, input.text, input.clientId ?? null],
    );
    if (!row) throw new Error('message insert returned nothing');
    return { message: toMessage(row), fresh: true };
  });
  if (fresh) await publishQuietly(ctx.bus, channels.chat(room.id), message);
  return message;
}

/** The room's messages after `lastEventId` (if given), then live ones; ends on sign-out. */
export async function* stream(
  ctx: AuthedContext,
  input: ChatSubscribeInput,
  signal: AbortSignal | undefined,
): AsyncGenerator<Sequenced<ChatMessage>> {
  const room = await enterRoom(ctx, input.roomId);
  yield* userLiveStream<ChatMessage>(ctx, input.lastEventId, signal, {
    channel: channels.chat(room.id),
    parse(message) {
      const item = JSON.parse(message) as ChatMessage;
      return { seq: item.id, item };
    },
    async backfill(after, limit) {
      const rows = await sql<MessageRow>(
        ctx.em,
        `select ${MESSAGE_COLUMNS} from chat_messages m join users u on u.id = m.author_id
         where m.room_id = ? and m.seq > ? order by m.seq limit ?`,
        [room.id, after, limit],
      );
      return rows.map((row) => ({ seq: Number(row.seq), item: toMessage(row) }));
    },
    async latestSeq() {
      const [row] = await sql<{ last_seq: string }>(ctx.em, 'select last_seq from chat_rooms where id = ?', [room.id]);
      return Number(row?.last_seq ?? 0);
    },
  });
}
