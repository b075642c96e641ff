import { preparedStatement } from '@shop/db';
import type { ChatHistoryInput, ChatMessage, ChatRoom, ChatSendInput, ChatSubscribeInput, Page } from '@shop/schemas';
import { actsAsStaff } from '../auth/mfa.service.ts';
import type { AuthedContext, ClaimedContext } from '../context.ts';
import { notFound, ShopError } from '../errors.ts';
import type { NumberColumn } from '../live/batched.ts';
import { channels, publishQuietly, type Sequenced } from '../live/publish.ts';
import type { LiveRegistry } from '../live/registry.ts';
import { userLiveStream } from '../live/user-stream.ts';
import { prepared, sql, violatesUnique } from '../sql.ts';

export interface MessageRow {
  seq: string;
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

const SUPPORT_PREFIX = 'support:';
const supportRoomId = (userId: string) => `${SUPPORT_PREFIX}${userId}`;

const supportRoom = (owner: { id: string; name: string }): ChatRoom => ({
  id: supportRoomId(owner.id),
  name: `Support: ${owner.name}`,
  kind: 'support',
});

/**
 * Who may use a room: the lobby everyone signed in, a support room its shopper and staff (with
 * their second factor passed where they need one);
 * anyone else gets NOT_FOUND. Returns whether it is the caller's own support room.
 */
function mayEnter(ctx: AuthedContext, roomId: string): boolean {
  const own = roomId === supportRoomId(ctx.user.id);
  if (roomId !== 'lobby' && !own && !actsAsStaff(ctx)) throw notFound('room');
  return own;
}

/**
 * The room if the caller may use it: the lobby for everyone signed in, a support room for its
 * shopper and for staff. Anything else is NOT_FOUND, whether or not it exists. A user's support
 * room exists before its row does, for them and for staff alike (the shopper sees it in
 * `listRooms` at once, so staff may open it before the first message): the row is written by the
 * first message (`send`), so queries change nothing. A support room of no user stays NOT_FOUND.
 */
async function enterRoom(ctx: AuthedContext, roomId: string): Promise<ChatRoom> {
  const own = mayEnter(ctx, roomId);
  const [room] = await sql<ChatRoom>(ctx.em, 'select id, name, kind from chat_rooms where id = ?', [roomId]);
  if (room) return room;
  if (own) return supportRoom(ctx.user);
  if (roomId.startsWith(SUPPORT_PREFIX)) {
    // The room id's schema makes this a well-formed uuid.
    const [owner] = await sql<{ id: string; name: string }>(ctx.em, 'select id, name from users where id = ?', [
      roomId.slice(SUPPORT_PREFIX.length),
    ]);
    if (owner) return supportRoom(owner);
  }
  throw notFound('room');
}

/** The lobby and the caller's support room; staff see every support room that has been used. */
export async function listRooms(ctx: AuthedContext): Promise<ChatRoom[]> {
  if (!actsAsStaff(ctx)) return [await enterRoom(ctx, 'lobby'), await enterRoom(ctx, supportRoomId(ctx.user.id))];
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
 * Who may send to the room, told from the session's claim alone where it can be (the lobby, the
 * caller's own support room: any signed-in user); the user is read only for another room (staff
 * powers). False: the claim's user is no longer signed in.
 */
async function maySend(ctx: ClaimedContext, roomId: string): Promise<boolean> {
  if (roomId === 'lobby' || roomId === supportRoomId(ctx.claim.userId)) return true;
  const authed = await ctx.authenticate();
  if (!authed) return false;
  mayEnter(authed, roomId);
  return true;
}

/**
 * chat.send's one statement: $1 user, $2 session version, $3 client id, $4 text, $5 room
 * ($6 the support room's owner). A retried send (same clientId) stores nothing: the number is
 * taken only when no message has it. Two retries racing past that check: the unique
 * (author, clientId) constraint fails the later statement whole, its number included, so numbers
 * stay dense. A support room's row is created by its first message, its shopper's or staff's; a
 * room of no user gets none. Nothing is numbered or stored for a session that is no longer valid
 * (`caller`). Prepared: it is the chat's hot path.
 */
const sendStatement = (takeNumber: string) => `with caller as (
     select 1 from users where id = $1 and session_version = $2
   ), prior as (
     select 1 from chat_messages where author_id = $1 and client_id = $3
   ), r as (${takeNumber}), m as (
     insert into chat_messages (room_id, seq, author_id, text, client_id) select r.id, r.last_seq, $1, $4, $3 from r
     returning *
   )
   select ${MESSAGE_COLUMNS} from m join users u on u.id = m.author_id`;
const SEND_SUPPORT = preparedStatement<MessageRow>(
  'chat_send_support',
  sendStatement(`insert into chat_rooms (id, kind, name, owner_id, last_seq)
       select $5, 'support', 'Support: ' || u.name, u.id, 1 from users u
       where u.id = $6 and not exists (select 1 from prior) and exists (select 1 from caller)
     on conflict (id) do update set last_seq = chat_rooms.last_seq + 1 returning id, last_seq`),
);
const SEND_LOBBY = preparedStatement<MessageRow>(
  'chat_send',
  sendStatement(`update chat_rooms set last_seq = last_seq + 1
     where id = $5 and not exists (select 1 from prior) and exists (select 1 from caller) returning id, last_seq`),
);

const signInFirst = () => new ShopError('UNAUTHORIZED', 'sign in first');

/**
 * Stores a message, then publishes it. Its number comes from the room row, incremented in the
 * same statement as the insert (one autocommit statement, so the row lock is held only while it
 * runs, not across round trips): numbers are dense and become visible in commit order, so a
 * subscriber resuming after N can never miss an N−1 that commits later. A support room's row is
 * created by the same statement on its first message. The same statement checks the session (the
 * user exists, its session version matches), so the call needs no user query of its own.
 */
export async function send(ctx: ClaimedContext, input: ChatSendInput): Promise<ChatMessage> {
  const roomId = input.roomId;
  const { userId, sessionVersion } = ctx.claim;
  if (!(await maySend(ctx, roomId))) throw signInFirst();
  const limit = await ctx.limits.chatSend.consume(userId);
  if (!limit.allowed) {
    throw new ShopError('TOO_MANY_REQUESTS', `sending too fast; wait ${Math.ceil(limit.retryAfterMs / 1000)} s`);
  }
  const existing = async () => {
    const [row] = await sql<MessageRow>(
      ctx.em,
      `select ${MESSAGE_COLUMNS} from chat_messages m join users u on u.id = m.author_id where m.author_id = ? and m.client_id = ?`,
      [userId, input.clientId],
    );
    return row;
  };
  let row: MessageRow | undefined;
  try {
    const support = roomId.startsWith(SUPPORT_PREFIX);
    const clientId = input.clientId ?? null;
    [row] = support
      ? await prepared(ctx.em, SEND_SUPPORT, [userId, sessionVersion, clientId, input.text, roomId, roomId.slice(SUPPORT_PREFIX.length)])
      : await prepared(ctx.em, SEND_LOBBY, [userId, sessionVersion, clientId, input.text, roomId]);
  } catch (error) {
    if (!input.clientId || !violatesUnique(error, 'chat_messages_client_unique')) throw error;
  }
  if (!row) {
    // Nothing stored: a revoked session, a retried send, or a room that does not exist.
    if (!(await ctx.authenticate())) throw signInFirst();
    const prior = input.clientId ? await existing() : undefined;
    if (prior) return toMessage(prior);
    throw notFound('room');
  }
  const message = toMessage(row);
  // Not awaited: a publish that is slow or fails loses nothing (subscribers back-fill), and the
  // sender need not wait a Redis round trip for its own reply.
  void publishQuietly(ctx.bus, channels.chat(roomId), message);
  return message;
}

/** The room's messages after `lastEventId` (if given), then live ones; ends on sign-out. */
export function stream(
  ctx: AuthedContext,
  input: ChatSubscribeInput,
  signal: AbortSignal | undefined,
): AsyncGenerator<Sequenced<ChatMessage>> {
  return userLiveStream<ChatMessage>(ctx, input.lastEventId, signal, {
    admit: admission(ctx, input.roomId),
    ...roomEvents(ctx.live, ctx.em.getConnection(), input.roomId),
  });
}

/**
 * Whether the caller may enter the room (it exists, or is their own support room), asked on
 * the stream's first pull. A function of its own: a closure made next to the stream's long-lived
 * ones would share their scope, and keep the context (with its EntityManager fork) for as long.
 */
function admission(ctx: AuthedContext, roomId: string): () => Promise<void> {
  return async () => {
    await enterRoom(ctx, roomId);
  };
}

type Connection = ReturnType<AuthedContext['em']['getConnection']>;

/** Rooms' newest message numbers, batched: every chat stream's periodic check asks in one tick. */
const ROOM_LAST_SEQ: NumberColumn = { table: 'chat_rooms', column: 'last_seq' };

/** How the stream reads the room: only the shared database connection, never the call's fork. */
function roomEvents(live: LiveRegistry, connection: Connection, roomId: string) {
  return {
    channel: channels.chat(roomId),
    parse(message: string): Sequenced<ChatMessage> {
      const item = JSON.parse(message) as ChatMessage;
      return { seq: item.id, item };
    },
    async backfill(after: number, limit: number): Promise<Sequenced<ChatMessage>[]> {
      const rows = await connection.execute<MessageRow[]>(
        `select ${MESSAGE_COLUMNS} from chat_messages m join users u on u.id = m.author_id
         where m.room_id = ? and m.seq > ? order by m.seq limit ?`,
        [roomId, after, limit],
      );
      return rows.map((row) => ({ seq: Number(row.seq), item: toMessage(row) }));
    },
    latestSeq: async (): Promise<number> => (await live.readNumber(connection, ROOM_LAST_SEQ, roomId)) ?? 0,
  };
}
