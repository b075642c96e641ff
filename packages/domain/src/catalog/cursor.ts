import type { CatalogSort } from '@shop/schemas';
import { badRequest } from '../errors.ts';
import { decodeKeyset, encodeKeyset, invalidCursor } from '../keyset.ts';

/**
 * A keyset position: the sort it belongs to, the last row's sort key (as PostgreSQL printed it,
 * so it converts back without loss) and the last row's id, which breaks ties.
 */
export interface CatalogCursor {
  sort: CatalogSort;
  key: string;
  id: number;
}

// What each sort's key looks like.
const KEY_FORMAT: Record<CatalogSort, RegExp> = {
  // A search's relevance tier (1–3), or without a search the newest sort's key.
  relevance: /^-?\d{1,18}$/,
  price_asc: /^\d{1,9}$/,
  price_desc: /^\d{1,9}$/,
  newest: /^-?\d{1,18}$/,
  name: /^[\s\S]{0,256}$/,
};

export function encodeCursor(cursor: CatalogCursor): string {
  return encodeKeyset(cursor.sort, cursor.key, cursor.id);
}

export function decodeCursor(raw: string, expectedSort: CatalogSort): CatalogCursor {
  const [sort, key, id] = decodeKeyset(raw);
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw invalidCursor();
  if (sort !== expectedSort) throw badRequest('cursor belongs to another sort order');
  if (!KEY_FORMAT[expectedSort].test(key)) throw invalidCursor();
  return { sort: expectedSort, key, id };
}
