import type { ChatHistoryInput, ChatMessage, ChatRoom, ChatSendInput, ChatSubscribeInput, Page } from '@shop/schemas';
import { actsAsStaff } from '../auth/mfa.service.ts';
import type { AuthedContext, ClaimedContext } from '../context.ts';
import { notFound, ShopError } from '../errors.ts';
import type { NumberColumn } from '../live/batched.ts';
import { channels, publishQuietly, type Sequenced } from '../live/publish.ts';
import type { LiveRegistry } from '../live/registry.ts';
import { userLiveStream } from '../live/user-stream.ts';
import { sql, violatesUnique } from '../sql.ts';
import { MESSAGE_COLUMNS, type MessageRow, toMessage } from './message-row.ts';
import { storeMessage } from './send-batch.ts';

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

const signInFirst = () => new ShopError('UNAUTHORIZED', 'sign in first');

/**
 * Stores a message, then publishes it. It is stored with the other messages this process is
 * storing at the moment, in one autocommit statement (`storeMessage`): its number comes from the
 * room row, incremented in that statement (the row lock is held only while it runs, not across
 * round trips), so numbers are dense and become visible in commit order, and a subscriber
 * resuming after N can never miss an N−1 that commits later. A support room's row is created by
 * its first message. The statement checks the session (the user exists, its session version
 * matches), so the call needs no user query of its own. The sender hears of it once committed.
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
    row = await storeMessage(ctx.em.getConnection(), {
      authorId: userId,
      sessionVersion,
      clientId: input.clientId ?? null,
      text: input.text,
      roomId,
      ownerId: roomId.startsWith(SUPPORT_PREFIX) ? roomId.slice(SUPPORT_PREFIX.length) : null,
    });
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
