import { preparedStatement } from '@shop/db';
import { prepared, type SqlConnection } from '../sql.ts';
import { MESSAGE_COLUMNS, type MessageRow } from './message-row.ts';

/** One message to store: whose session sends it, where, and the support room's owner (null for the lobby). */
export interface NewMessage {
  authorId: string;
  sessionVersion: number;
  clientId: string | null;
  text: string;
  roomId: string;
  ownerId: string | null;
}

/**
 * The messages of a batch ($1, JSON: `ord` is each one's place in it) in one statement, so one
 * commit. A message is stored if its session is still valid (the user exists at its session
 * version) and its client id is new, in the table and in the batch (of two copies that pass the
 * session check, the first). Each room's number goes up by its count, the lobby's row first,
 * then support rooms by id, and its messages take the numbers in between in batch order: numbers
 * stay dense and become visible in commit order, as a room row stays locked until the statement
 * commits. A support room's row is created by its first messages (its owner must exist); another
 * room must exist already. Two batches retrying one client id at once: the unique (author,
 * client id) constraint fails the later whole (its messages are then sent one by one).
 */
export const SEND_BATCH = preparedStatement<MessageRow & { ord: number }>(
  'chat_send_batch',
  `with input as (
     select * from jsonb_to_recordset($1::jsonb)
       as i(ord int, author_id uuid, session_version int, client_id uuid, text text, room_id text, owner_id uuid)
   ), checked as (
     -- Subqueries per message, not joins: the planner takes the JSON for 100 rows and would
     -- scan users and chat_messages whole; these probe their indexes once per message.
     select i.*,
       (select u.session_version from users u where u.id = i.author_id) = i.session_version as allowed,
       i.client_id is not null
         and exists (select 1 from chat_messages m where m.author_id = i.author_id and m.client_id = i.client_id) as seen
     from input i
   ), valid as (
     select ord, author_id, client_id, text, room_id, owner_id from checked where allowed and not seen
   ), ok as (
     select v.* from valid v
     where v.client_id is null
        or not exists (select 1 from valid w where w.author_id = v.author_id and w.client_id = v.client_id and w.ord < v.ord)
   ), counts as (
     select room_id, owner_id, count(*) as n from ok group by room_id, owner_id
   ), shared as (
     update chat_rooms r set last_seq = r.last_seq + c.n
     from (select * from counts where owner_id is null order by room_id) c
     where r.id = c.room_id
     returning r.id, r.last_seq, c.n
   ), support as (
     insert into chat_rooms (id, kind, name, owner_id, last_seq)
     select c.room_id, 'support', 'Support: ' || u.name, u.id, c.n from counts c join users u on u.id = c.owner_id
     order by c.room_id
     on conflict (id) do update set last_seq = chat_rooms.last_seq + excluded.last_seq
     returning id, last_seq
   ), rooms as (
     select id, last_seq, n from shared
     union all
     select s.id, s.last_seq, c.n from support s join counts c on c.room_id = s.id
   ), numbered as (
     select ok.ord, ok.room_id, ok.author_id, ok.text, ok.client_id,
            r.last_seq - r.n + row_number() over (partition by ok.room_id order by ok.ord) as seq
     from ok join rooms r on r.id = ok.room_id
   ), m as (
     insert into chat_messages (room_id, seq, author_id, text, client_id)
     select room_id, seq, author_id, text, client_id from numbered order by room_id, seq
     returning *
   )
   select n.ord, ${MESSAGE_COLUMNS}
   from m join numbered n on n.room_id = m.room_id and n.seq = m.seq join users u on u.id = m.author_id`,
);

/** SEND_BATCH's $1: the messages in order. */
export function batchInput(messages: readonly NewMessage[]): string {
  return JSON.stringify(
    messages.map((m, ord) => ({
      ord,
      author_id: m.authorId,
      session_version: m.sessionVersion,
      client_id: m.clientId,
      text: m.text,
      room_id: m.roomId,
      owner_id: m.ownerId,
    })),
  );
}

/** Statements of one process storing messages at once; sends beyond wait and go in the next batch. */
const IN_FLIGHT = 2;
/** Messages per statement at most. */
const BATCH_MAX = 200;

interface Pending {
  message: NewMessage;
  resolve(row: MessageRow | undefined): void;
  reject(error: unknown): void;
}

/**
 * Group commit for chat.send: the messages a process is asked to store while its statements are
 * busy go together in the next one, one round trip and one commit for all of them. A message
 * alone waits for nothing but the event loop's turn. Each caller gets its own row, only after
 * the statement committed (or undefined: nothing stored, see SEND_BATCH).
 */
class SendBatches {
  readonly #connection: SqlConnection;
  #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(connection: SqlConnection) {
    this.#connection = connection;
  }

  store(message: NewMessage): Promise<MessageRow | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      this.#schedule();
    });
  }

  /** One flush per turn of the event loop, so the sends of that turn go together. */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= IN_FLIGHT || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const batch = this.#queue.splice(0, BATCH_MAX);
      if (batch.length === 0) return;
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
      this.#schedule();
    });
  }

  async #run(batch: Pending[]): Promise<void> {
    let rows: (MessageRow & { ord: number })[];
    try {
      rows = await prepared(this.#connection, SEND_BATCH, [batchInput(batch.map((pending) => pending.message))]);
    } catch (error) {
      // PostgreSQL refused the statement, so nothing of it was stored: a retry raced another
      // batch (the unique client id), two batches met on rooms in opposite orders (a deadlock),
      // or one message could not be stored. One by one, each then fails or succeeds on its own.
      // A connection lost on the way is not retried: the batch may have committed.
      if (batch.length > 1 && refusedByServer(error)) {
        // In order, one at a time: a sender's messages keep their order, and the pool its room.
        for (const pending of batch) await this.#run([pending]);
      } else {
        for (const pending of batch) pending.reject(error);
      }
      return;
    }
    const byOrd = new Map(rows.map(({ ord, ...row }) => [ord, row]));
    for (const [ord, pending] of batch.entries()) pending.resolve(byOrd.get(ord));
  }
}

/**
 * An error PostgreSQL answered the statement with (pg's DatabaseError of severity ERROR), after
 * which an autocommit statement left nothing behind; not a socket's (EPIPE, ECONNRESET), nor a
 * FATAL or PANIC, after which the commit may have happened.
 */
const refusedByServer = (error: unknown) =>
  typeof error === 'object' && error !== null && 'severity' in error && error.severity === 'ERROR';

/** A process has one per database connection (its pool): per connection, not module-wide, for tests with several. */
const batches = new WeakMap<SqlConnection, SendBatches>();

/** Stores `message` with the others being sent now (see SendBatches); undefined when nothing was stored. */
export function storeMessage(connection: SqlConnection, message: NewMessage): Promise<MessageRow | undefined> {
  let sends = batches.get(connection);
  if (!sends) {
    sends = new SendBatches(connection);
    batches.set(connection, sends);
  }
  return sends.store(message);
}
