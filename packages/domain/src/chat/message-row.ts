import type { ChatMessage } from '@shop/schemas';

/** A chat message as the statements return it (MESSAGE_COLUMNS). */
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

/** A message's columns: `m` the message, `u` its author. */
export const MESSAGE_COLUMNS = `m.seq, m.room_id, m.author_id, u.name as author_name, u.role as author_role, m.text, m.client_id,
  to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at`;

export function toMessage(row: MessageRow): ChatMessage {
  return {
    id: Number(row.seq),
    roomId: row.room_id,
    author: { id: row.author_id, name: row.author_name, role: row.author_role },
    text: row.text,
    createdAt: row.created_at,
    clientId: row.client_id,
  };
}
