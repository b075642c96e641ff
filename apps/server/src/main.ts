// Starts the shop: database (embedded when DATABASE_URL is unset), migrations, first-start seed,
// then HTTP and WebSocket on one port.
import { join } from 'node:path';
import { createSecretBox, createSessionCodec } from '@shop/auth';
import { connectRedis, createBus, describeRedis } from '@shop/bus';
import { createOrm, embeddedDataDir, isSeeded, migrate, openDatabase, replicaReads, seedDemo, warmPool } from '@shop/db';
import { catalog, createLimits, createLiveRegistry, mail } from '@shop/domain';
import { pino } from 'pino';
import { createApp, describeError } from './app.ts';
import { loadEnv } from './env.ts';
import { createStdoutLog } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { resolveSessionSecrets } from './session-secret.ts';
import { SHUTDOWN_LIMIT_MS } from './shutdown.ts';

let env: ReturnType<typeof loadEnv>;
try {
  const loaded = loadEnv();
  // Without SESSION_SECRET (outside production), the data folder's own generated secret.
  env = { ...loaded, SESSION_SECRETS: await resolveSessionSecrets(loaded) };
} catch (error) {
  // No configuration, so no configured logger: one JSON line on stderr naming the bad variables.
  pino(pino.destination({ dest: 2, sync: true })).fatal((error as Error).message);
  process.exit(78); // EX_CONFIG
}

const { logger, flush: flushLogs, exit } = createStdoutLog({ level: env.LOG_LEVEL, instance: env.INSTANCE_NAME });
const metrics = createMetrics(env.INSTANCE_NAME, { poolMax: env.DB_POOL_MAX });
const log = (message: string) => logger.info(message);
process.on('uncaughtException', (error) => {
  metrics.error('uncaught');
  logger.fatal({ err: describeError(error) }, 'uncaught exception');
  exit(1);
});

const started = performance.now();
const database = await openDatabase({ url: env.DATABASE_URL, dataDir: embeddedDataDir(env), log }).catch((error: Error) => {
  // Its reason as one line (embedded PostgreSQL that cannot start says why), not a stack trace.
  logger.fatal(error.message);
  return exit(1);
});
if (database.embedded) log('using embedded PostgreSQL (set DATABASE_URL to use your own)');
const orm = await createOrm({
  url: database.url,
  poolMax: env.DB_POOL_MAX,
  poolMin: env.DB_POOL_MIN,
  replicaUrls: env.DATABASE_REPLICA_URLS,
});
// Catalog reads go to the replicas; one that cannot be reached is left alone for a while.
const replica = replicaReads(orm, {
  onRead: (by) => metrics.replicaRead(by),
  onDown: (name, error) => {
    metrics.error('db_replica');
    logger.warn({ replica: name, err: describeError(error) }, 'read replica unreachable: its reads go to the primary for now');
  },
});
if (replica.replicaCount > 0) log(`catalog reads go to ${replica.replicaCount} read replica(s)`);

const applied = await migrate(orm);
if (applied.length) log(`applied migrations: ${applied.join(', ')}`);
if (env.SEED_PRODUCTS > 0 && !(await isSeeded(orm.em.fork()))) {
  // Production gets the catalog it asked for (no credentials in it) and no account: the demo
  // passwords are in the README. Its first staff account comes from `pnpm staff:create`.
  const accounts = env.NODE_ENV !== 'production';
  log(`empty database: seeding the demo catalog (${env.SEED_PRODUCTS} products)${accounts ? ' and demo accounts' : ''}`);
  await seedDemo(orm.em.fork(), { products: env.SEED_PRODUCTS, accounts });
}
// The first requests find DB_POOL_MIN connections open rather than each waiting for its own.
const unopened = await warmPool(orm);
if (unopened.length > 0) {
  logger.warn(
    { err: describeError(unopened[0] as Error) },
    `opened ${env.DB_POOL_MIN - unopened.length} of DB_POOL_MIN ${env.DB_POOL_MIN} connections; the rest open as needed`,
  );
}

const redis = env.REDIS
  ? connectRedis(env.REDIS, { connectionName: 'limits', maxRetriesPerRequest: 1, enableOfflineQueue: false })
  : undefined;
redis?.on('error', (error) => logger.warn(`redis: ${error.message}`));
log(
  env.REDIS
    ? `redis: ${describeRedis(env.REDIS)}`
    : 'no REDIS_URL nor REDIS_SENTINELS: rate limits and live events stay inside this process',
);
// Redis errors are logged once per kind of failure, not on every retry.
let lastBusError = '';
const bus = createBus({
  redis: env.REDIS,
  onError: (error, context) => {
    metrics.error(`bus_${context.source}`);
    const message = error instanceof Error ? error.message : String(error);
    if (message !== lastBusError) logger.warn({ source: context.source, channel: context.channel }, `bus: ${message}`);
    lastBusError = message;
  },
  onDelivery: (lagMs) => metrics.busDelivery(lagMs),
});

const catalogCache = catalog.createCatalogCache({ ttlMs: env.CATALOG_CACHE_MS, bus });
// The live streams' groups and recheck timer: this process's, stopped below at shutdown.
const live = createLiveRegistry(bus);

// The order e-mails' outbox, delivered by every instance (they share the rows); stopped below at shutdown.
const mailDir = join(env.DATA_DIR, 'mail');
const mailer = mail.createMailWorker({
  db: orm.em.getConnection(),
  transport: env.SMTP_URL ? mail.smtpTransport(env.SMTP_URL) : mail.emlTransport(mailDir),
  from: env.MAIL_FROM,
  log: logger.child({ component: 'mail' }),
});
if (!env.SMTP_URL) log(`no SMTP_URL: e-mails are written to ${mailDir} as .eml files`);
mailer.start();

const app = createApp({
  deps: {
    orm,
    replica,
    codec: createSessionCodec({ secrets: env.SESSION_SECRETS, secure: env.COOKIE_SECURE }),
    limits: createLimits(redis, { loginWindowS: env.LOGIN_WINDOW_S }),
    currency: env.CURRENCY,
    bus,
    catalogCache,
    live,
    // TOTP seeds are sealed with keys derived from the session secrets (any listed one opens).
    mfa: { requiredForStaff: env.STAFF_REQUIRE_MFA, box: createSecretBox(env.SESSION_SECRETS) },
  },
  instanceName: env.INSTANCE_NAME,
  webDist: env.WEB_DIST || undefined,
  trustProxy: env.TRUST_PROXY,
  allowedOrigins: env.ALLOWED_ORIGINS,
  logger,
  metrics,
  // Without Redis this instance cannot share rate limits or live events: not ready.
  readinessChecks: redis ? { redis: () => redis.ping() } : {},
});
app.server.listen(env.PORT, env.HOST, () => {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
  logger.info({ port, startupS: Number(((performance.now() - started) / 1000).toFixed(1)) }, `ready: http://${host}:${port}/`);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: draining, then shutting down`);
  const force = setTimeout(() => {
    logger.error(`in-flight work did not finish within ${SHUTDOWN_LIMIT_MS / 1000} s: exiting anyway`);
    exit(1);
  }, SHUTDOWN_LIMIT_MS);
  force.unref();
  // The worker stops claiming at once; its sends under way get 5 s, then are left to the other
  // instances (due again at once). Meanwhile the server drains.
  await Promise.all([app.close(), mailer.stop(5_000)]);
  await catalogCache.close();
  live.stop();
  await bus.close();
  redis?.disconnect();
  await orm.close();
  await database.stop();
  log('stopped');
  await flushLogs();
  exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
