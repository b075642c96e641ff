import type { CatalogSort } from '@shop/schemas';
import { badRequest } from '../errors.ts';

/**
 * A keyset position: the sort it belongs to, the last row's sort key (as PostgreSQL printed it,
 * so it converts back without loss) and the last row's id, which breaks ties.
 */
export interface CatalogCursor {
  sort: CatalogSort;
  key: string;
  id: number;
}

// What each sort's key looks like, checked before it reaches SQL so a forged cursor is a
// BAD_REQUEST rather than a failed cast.
const KEY_FORMAT: Record<CatalogSort, RegExp> = {
  relevance: /^-?\d+(\.\d+)?(e[-+]?\d+)?$/,
  price_asc: /^\d{1,9}$/,
  price_desc: /^\d{1,9}$/,
  newest: /^-?\d{1,18}$/,
  name: /^[\s\S]{0,256}$/,
};

export function encodeCursor(cursor: CatalogCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, cursor.key, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string, expectedSort: CatalogSort): CatalogCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor is not one this API returned');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length > 256 ||
    !Number.isSafeInteger(parsed[2])
  ) {
    throw badRequest('cursor is not one this API returned');
  }
  if (parsed[0] !== expectedSort) throw badRequest('cursor belongs to another sort order');
  if (!KEY_FORMAT[expectedSort].test(parsed[1])) throw badRequest('cursor is not one this API returned');
  return { sort: expectedSort, key: parsed[1], id: parsed[2] };
}
