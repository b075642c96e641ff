import { badRequest } from '../errors.ts';

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
  return Buffer.from(JSON.stringify([TAG, cursor.key, cursor.id])).toString('base64url');
}

// Checked before it reaches SQL, so a forged cursor is a BAD_REQUEST rather than a failed cast.
export function decodeOrderCursor(raw: string): OrderCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not one this API returned');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== TAG ||
    typeof parsed[1] !== 'string' ||
    !KEY.test(parsed[1]) ||
    typeof parsed[2] !== 'string' ||
    !UUID.test(parsed[2])
  ) {
    throw badRequest('cursor is not one this API returned');
  }
  return { key: parsed[1], id: parsed[2] };
}
