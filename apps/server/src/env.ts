// The server's configuration: every environment variable it reads, validated once, here.
import { hostname } from 'node:os';
import type { RedisConnection } from '@shop/bus';
import { databaseEnvProblem, databaseEnvShape, optionalUrl, parseEnv } from '@shop/db';
import { repoRoot } from '@shop/proc';
import { z } from 'zod';
import { LOG_LEVELS } from './logger.ts';

/** A comma-separated list, blanks dropped. */
const commaList = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** Empty counts as unset; not trimmed, as a password may end in a space. */
const optionalSecret = z
  .string()
  .transform((v) => v || undefined)
  .optional();

/** `host:port` (an IPv6 host in brackets); without a port, Sentinel's own 26379. */
const sentinelAddress = z.string().transform((value, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+))(?::(\d{1,5}))?$/.exec(value);
  const port = Number(match?.[3] ?? 26_379);
  const host = match?.[1] ?? match?.[2];
  if (!host || port < 1 || port > 65_535) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port` });
    return z.NEVER;
  }
  return { host, port };
});

// `orders@example.com` or `Shop <orders@example.com>`: nodemailer parses it, this only refuses what it would misread.
const MAIL_FROM_PATTERN = /^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+)$/;

const booleanFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).transform((v) => ['true', '1', 'yes', 'on'].includes(v));

// Once the fallback secret in this file: published, so it can never seal a session again.
const PUBLISHED_SECRET = 'development-only-session-secret-do-not-deploy';
const MIN_SECRET_LENGTH = 32;

export const envSchema = z.object({
  /** NODE_ENV, DATABASE_URL and DATA_DIR: shared with the database scripts, so both open one database. */
  ...databaseEnvShape,
  /** Port for HTTP and WebSocket. 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Streaming replicas of DATABASE_URL, comma-separated: catalog reads go to them (to the primary
   * while none answers); everything else reads the primary. A URL without a database name means
   * DATABASE_URL's.
   */
  DATABASE_REPLICA_URLS: commaList.pipe(z.array(z.url({ protocol: /^postgres(ql)?$/, error: 'a postgres:// URL' }))),
  /**
   * Redis for pub/sub and shared rate limits; when neither it nor REDIS_SENTINELS is set, an
   * in-process bus serves one instance.
   */
  REDIS_URL: optionalUrl,
  /** Sentinels to ask which server is the Redis primary (instead of REDIS_URL), comma-separated host:port. */
  REDIS_SENTINELS: commaList.pipe(z.array(sentinelAddress)),
  /** The primary's name as the Sentinels monitor it. */
  REDIS_SENTINEL_NAME: z.string().trim().min(1).default('mymaster'),
  /** The Redis servers' AUTH password, unless REDIS_URL carries it. */
  REDIS_PASSWORD: optionalSecret,
  /** The Sentinels' own AUTH password, if they require one. */
  REDIS_SENTINEL_PASSWORD: optionalSecret,
  /** Name reported by /health and in metrics and logs. */
  // Sent in headers (x-instance) and metric labels: a host name, a port, nothing that could end a line.
  INSTANCE_NAME: z
    .string()
    .regex(/^[\w.:@-]{1,64}$/, 'letters, digits and . : @ - _ only, at most 64')
    .optional(),
  /** Directory of the SPA build to serve; empty disables it (Nginx serves it in the cluster). */
  WEB_DIST: z.string().default(`${repoRoot}apps/web/dist`),
  /** Products the demo seed loads into an empty database on first start; 0 disables seeding. */
  SEED_PRODUCTS: z.coerce.number().int().min(0).max(1_000_000).default(1_000),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Connections opened at start and kept however idle; at most DB_POOL_MAX, which it defaults to.
   * A pool that shrank while traffic was light makes the next burst wait for new connections.
   */
  DB_POOL_MIN: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).max(200).optional()),
  /** How long an instance keeps a catalog read (for every visitor); 0 turns that cache off. */
  CATALOG_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  /**
   * Secrets that seal session cookies, comma-separated, newest first: cookies sealed with an older
   * one keep working, so rotating signs nobody out. Required in production; elsewhere, unset means
   * a random one kept in DATA_DIR (session-secret.ts).
   */
  SESSION_SECRET: z.string().optional(),
  /** Send the session cookie with Secure (HTTPS only). Defaults to on in production. */
  COOKIE_SECURE: booleanFlag.optional(),
  /** Trust X-Forwarded-For from the proxy in front (Nginx) for the client's IP. */
  TRUST_PROXY: booleanFlag.default(false),
  /** Origins besides the shop's own that may send mutations, comma-separated. */
  ALLOWED_ORIGINS: commaList.pipe(z.array(z.url())),
  CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR'),
  /**
   * Sign-in brute-force window, in seconds: 10 failures per email (50 per IP) within it lock the
   * email (IP) out for as long again.
   */
  LOGIN_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(900),
  /**
   * Staff must enrol a second factor (TOTP) before they may use the staff procedures. Defaults to
   * on in production; off elsewhere, so the demo staff account works without one.
   */
  STAFF_REQUIRE_MFA: booleanFlag.optional(),
  /** SMTP server for the order e-mails (credentials in the URL); unset, they are written as .eml files to DATA_DIR/mail. */
  SMTP_URL: optionalUrl.refine((v) => v === undefined || ['smtp:', 'smtps:'].includes(new URL(v).protocol), 'an smtp:// or smtps:// URL'),
  /** The e-mails' sender; required with SMTP_URL in production (the default's domain is not a real one). */
  MAIL_FROM: z.string().trim().regex(MAIL_FROM_PATTERN, 'an address such as "Shop <orders@example.com>"').optional(),
  /** Least severe level written to the JSON log on stdout; `silent` writes nothing. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

type RedisVariables = 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_PASSWORD' | 'REDIS_SENTINEL_PASSWORD';

export type Env = Omit<
  z.infer<typeof envSchema>,
  'SESSION_SECRET' | 'COOKIE_SECURE' | 'STAFF_REQUIRE_MFA' | RedisVariables | 'MAIL_FROM' | 'DB_POOL_MIN'
> & {
  INSTANCE_NAME: string;
  /** DB_POOL_MAX unless set. */
  DB_POOL_MIN: number;
  /** From the REDIS_* variables: every Redis client of the server connects with it; unset means no Redis. */
  REDIS: RedisConnection | undefined;
  /** From SESSION_SECRET; empty outside production when unset (see resolveSessionSecrets). */
  SESSION_SECRETS: string[];
  COOKIE_SECURE: boolean;
  STAFF_REQUIRE_MFA: boolean;
  MAIL_FROM: string;
};

/** A secret too weak to seal sessions with: short, one repeated character, or the published one. */
export function weakSecret(secret: string): string | null {
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters`;
  if (new Set(secret).size < 8) return 'has too few distinct characters';
  if (secret === PUBLISHED_SECRET) return 'is a published development default';
  return null;
}

const invalid = (variable: string, problem: string) => new Error(`invalid configuration:\n  ${variable}: ${problem}`);

/** REDIS_URL's password, decoded; a malformed %-escape (`%zz`) is a configuration error naming REDIS_URL. */
function urlPassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    throw invalid('REDIS_URL', 'its password has a malformed %-escape (write % as %25)');
  }
}

/** Where Redis is, from one server's URL or the Sentinels; undefined when neither is set. */
function redisConnection(vars: Pick<z.infer<typeof envSchema>, RedisVariables>): RedisConnection | undefined {
  const { REDIS_URL: url, REDIS_SENTINELS: sentinels, REDIS_PASSWORD: password, REDIS_SENTINEL_PASSWORD: sentinelPassword } = vars;
  if (url && sentinels.length > 0) throw invalid('REDIS_SENTINELS', 'set either REDIS_URL (one server) or REDIS_SENTINELS, not both');
  if (sentinelPassword && sentinels.length === 0) throw invalid('REDIS_SENTINEL_PASSWORD', 'only used with REDIS_SENTINELS');
  if (sentinels.length > 0) return { sentinels, name: vars.REDIS_SENTINEL_NAME, password, sentinelPassword };
  if (!url) {
    if (password) throw invalid('REDIS_PASSWORD', 'set REDIS_URL or REDIS_SENTINELS too');
    return undefined;
  }
  const inUrl = urlPassword(url);
  if (inUrl && password && inUrl !== password) throw invalid('REDIS_PASSWORD', 'differs from the password in REDIS_URL: give one');
  return { url, password };
}

/** Parses the environment, or throws an error that names every bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const vars = parseEnv(envSchema, source);
  // The REDIS_* variables reach the server only as REDIS (redisConnection).
  const {
    SESSION_SECRET,
    COOKIE_SECURE,
    STAFF_REQUIRE_MFA,
    REDIS_URL,
    REDIS_SENTINELS,
    REDIS_SENTINEL_NAME,
    REDIS_PASSWORD,
    REDIS_SENTINEL_PASSWORD,
    MAIL_FROM,
    ...env
  } = vars;
  const production = env.NODE_ENV === 'production';
  const secrets = (SESSION_SECRET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.length === 0 && production) throw new Error('invalid configuration:\n  SESSION_SECRET: required in production');
  for (const secret of secrets) {
    const problem = weakSecret(secret);
    if (problem) throw new Error(`invalid configuration:\n  SESSION_SECRET: ${problem}`);
  }
  const databaseProblem = databaseEnvProblem(env);
  if (databaseProblem) throw new Error(`invalid configuration:\n  ${databaseProblem}`);
  if (production && env.SMTP_URL && !MAIL_FROM)
    throw new Error('invalid configuration:\n  MAIL_FROM: required with SMTP_URL in production');
  if (env.DB_POOL_MIN !== undefined && env.DB_POOL_MIN > env.DB_POOL_MAX) {
    throw new Error(`invalid configuration:\n  DB_POOL_MIN: at most DB_POOL_MAX (${env.DB_POOL_MAX})`);
  }
  if (env.DATABASE_REPLICA_URLS.length > 0 && !env.DATABASE_URL) {
    throw new Error('invalid configuration:\n  DATABASE_REPLICA_URLS: needs DATABASE_URL, the primary they replicate');
  }
  return {
    ...env,
    REDIS: redisConnection(vars),
    INSTANCE_NAME: env.INSTANCE_NAME ?? `${hostname()}:${env.PORT}`,
    DB_POOL_MIN: env.DB_POOL_MIN ?? env.DB_POOL_MAX,
    SESSION_SECRETS: secrets,
    COOKIE_SECURE: COOKIE_SECURE ?? production,
    STAFF_REQUIRE_MFA: STAFF_REQUIRE_MFA ?? production,
    MAIL_FROM: MAIL_FROM ?? 'Shop <shop@localhost>',
  };
}
