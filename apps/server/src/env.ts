// The server's configuration: every environment variable it reads, validated once, here.
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => v || undefined)
  .pipe(z.url().optional())
  .optional();

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** Port for HTTP and WebSocket. 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** PostgreSQL; when unset, embedded PostgreSQL runs in DATA_DIR. */
  DATABASE_URL: optionalUrl,
  /** Redis for pub/sub and shared rate limits; when unset, an in-process bus serves one instance. */
  REDIS_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default(`${repoRoot}.data`),
  /** Name reported by /health and in metrics and logs. */
  INSTANCE_NAME: z.string().min(1).max(64).optional(),
  /** Directory of the SPA build to serve; empty disables it (Nginx serves it in the cluster). */
  WEB_DIST: z.string().default(`${repoRoot}apps/web/dist`),
  /** Products the demo seed loads into an empty database on first start; 0 disables seeding. */
  SEED_PRODUCTS: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});

export type Env = z.infer<typeof envSchema> & { INSTANCE_NAME: string };

/** Parses the environment, or throws an error that names every bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid configuration:\n${problems}`);
  }
  const env = result.data;
  return { ...env, INSTANCE_NAME: env.INSTANCE_NAME ?? `${hostname()}:${env.PORT}` };
}
