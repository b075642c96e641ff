// The variables the server and the database scripts (`pnpm db:*`, `pnpm staff:create`) share: one
// name, meaning and default each, parsed with this one schema by both (apps/server/src/env.ts,
// cli/env.ts), so a migration opens the very database `pnpm start` runs on.
import { join } from 'node:path';
import { repoRoot } from '@shop/proc';
import { z } from 'zod';

/** A URL, or unset when empty or blank. */
export const optionalUrl = z
  .string()
  .trim()
  .transform((v) => v || undefined)
  .pipe(z.url().optional())
  .optional();

export const databaseEnvShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** PostgreSQL; when unset, embedded PostgreSQL runs in DATA_DIR. */
  DATABASE_URL: optionalUrl,
  /** Where the embedded database lives (and the server's generated session secret). */
  DATA_DIR: z.string().min(1).default(`${repoRoot}.data`),
};

export type DatabaseEnv = z.infer<z.ZodObject<typeof databaseEnvShape>>;

/** The embedded database's folder. */
export const embeddedDataDir = (env: Pick<DatabaseEnv, 'DATA_DIR'>): string => join(env.DATA_DIR, 'postgres');

/** The problem with where this environment keeps its database, or null. */
export function databaseEnvProblem(env: DatabaseEnv): string | null {
  // The embedded database is for trying the shop: in production its data would live inside the
  // container or the checkout, and a forgotten DATABASE_URL would write to a throwaway database.
  if (env.NODE_ENV === 'production' && !env.DATABASE_URL)
    return 'DATABASE_URL: required in production (the embedded database is for trying the shop)';
  return null;
}

/** `schema` parsed from `source`, or an error naming every bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, source: NodeJS.ProcessEnv): z.infer<T> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${problems}`);
  }
  return result.data;
}
