import { z } from 'zod';

/** Upper bound for any single price: keeps sums of up to 99 × 100 lines far inside int32. */
export const MAX_PRICE_CENTS = 10_000_000;

export const slugSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'a slug is lower-case letters, digits and single hyphens');

/**
 * Free text that PostgreSQL can store. A text column cannot hold U+0000, and the driver fails a
 * statement carrying one as a protocol error, so it is refused here with the reason instead.
 */
export const storedText = () => z.string().refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000) characters');

export const priceCentsSchema = z.number().int().min(0).max(MAX_PRICE_CENTS);

/** An opaque pagination cursor, as returned in `nextCursor`. */
export const cursorSchema = storedText().min(1).max(512);

export const pageLimit = (fallback: number) => z.number().int().min(1).max(100).default(fallback);

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
