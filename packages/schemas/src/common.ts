import { z } from 'zod';

/** Upper bound for any single price: keeps sums of up to 99 × 100 lines far inside int32. */
export const MAX_PRICE_CENTS = 10_000_000;

export const slugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a slug is lower-case letters, digits and single hyphens');

/** With the `u` flag a surrogate pair is one code point, so only a lone surrogate is in Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Free text that PostgreSQL can store as sent, refused here with the reason otherwise. A text
 * column cannot hold U+0000 (the driver fails the statement as a protocol error), and a lone
 * surrogate has no UTF-8 form (it would be stored as U+FFFD, or fail inside JSON).
 */
export const storedText = () =>
  z.string().check((ctx) => {
    const problem = unstorable(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

/** Why PostgreSQL could not store `s` as sent (see `storedText`), or null when it can. */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (U+0000) characters';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (it has a lone surrogate)';
  return null;
}

export const priceCentsSchema = z.number().int().min(0).max(MAX_PRICE_CENTS);

/** An opaque pagination cursor, as returned in `nextCursor`. */
export const cursorSchema = storedText().min(1).max(512);

export const pageLimit = (fallback: number) => z.number().int().min(1).max(100).default(fallback);

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
