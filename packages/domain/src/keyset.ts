import { unstorable } from '@shop/schemas';
import { badRequest } from './errors.ts';

/**
 * The one wire format of keyset cursors: [tag, sort key as PostgreSQL printed it, tie-breaking id],
 * JSON in base64url. Callers check the parts they expect before any of it reaches SQL, so a forged
 * cursor is a BAD_REQUEST rather than a failed cast.
 */
export function encodeKeyset(tag: string, key: string, id: string | number): string {
  return Buffer.from(JSON.stringify([tag, key, id])).toString('base64url');
}

export function decodeKeyset(raw: string): [tag: unknown, key: string, id: unknown] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  // The key is bound as text: one PostgreSQL cannot take (a NUL) would fail the statement.
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    typeof parsed[1] !== 'string' ||
    parsed[1].length > 256 ||
    unstorable(parsed[1]) !== null
  ) {
    throw invalidCursor();
  }
  return [parsed[0], parsed[1], parsed[2]];
}

export const invalidCursor = () => badRequest('cursor is not one this API returned');
