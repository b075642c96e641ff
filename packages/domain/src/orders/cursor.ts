import { decodeKeyset, encodeKeyset, invalidCursor } from '../keyset.ts';

/**
 * A keyset position in a newest-first list of orders: the last row's created_at in microseconds
 * since the epoch (as PostgreSQL printed it, so exact) and its id, which breaks ties.
 */
export interface OrderCursor {
  key: string;
  id: string;
}

const TAG = 'orders';
const KEY = /^-?\d{1,18}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeOrderCursor(cursor: OrderCursor): string {
  return encodeKeyset(TAG, cursor.key, cursor.id);
}

export function decodeOrderCursor(raw: string): OrderCursor {
  const [tag, key, id] = decodeKeyset(raw);
  if (tag !== TAG || !KEY.test(key) || typeof id !== 'string' || !UUID.test(id)) throw invalidCursor();
  return { key, id };
}
