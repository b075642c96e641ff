// `pnpm cluster`: PostgreSQL and Redis checked, the SPA built if missing, migrations applied,
// INSTANCES instances and nginx started. Ctrl-C or SIGTERM stops everything; SIGUSR2 (what
// `pnpm cluster:restart` sends) restarts the instances one at a time.
import { portIsFree, withRedis } from '@shop/proc';
import pg from 'pg';
import type { Cluster } from './cluster.ts';
import { instancePorts } from './render.ts';
import { type ClusterState, clusterDir, isAlive, readState, removeState, writeState } from './state.ts';
import { defaultWebDist, ensureWebBuild } from './web-build.ts';

const log = (message: string) => console.log(`[cluster] ${message}`);

class SetupError extends Error {}

/** Every setting the command reads, from the environment, checked once. */
function readSettings(env: NodeJS.ProcessEnv) {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    const value = raw ? Number(raw) : fallback;
    if (!Number.isInteger(value) || value < min || value > max)
      throw new SetupError(`${name} must be a whole number from ${min} to ${max}, got ${raw}`);
    return value;
  };
  const instances = int('INSTANCES', 3, 1, 64);
  const tlsCert = env.TLS_CERT?.trim();
  const tlsKey = env.TLS_KEY?.trim();
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new SetupError('TLS_CERT and TLS_KEY go together: set both or neither');
  return {
    instances,
    httpPort: int('HTTP_PORT', 8080, 1, 65_535),
    instancePorts: instancePorts(instances, int('FIRST_INSTANCE_PORT', 3001, 1, 65_535 - instances)),
    listenHost: env.LISTEN_HOST?.trim() || '127.0.0.1',
    databaseUrl: env.DATABASE_URL?.trim() || 'postgres://postgres@127.0.0.1:5432/shop',
    redisUrl: env.REDIS_URL?.trim() || 'redis://127.0.0.1:6379',
    dir: clusterDir(env),
    // Seeded once by the cluster into an empty database, never by three instances at once.
    seedProducts: int('SEED_PRODUCTS', 1000, 0, 1_000_000),
    tls: tlsCert && tlsKey ? { certificate: tlsCert, key: tlsKey, port: int('HTTPS_PORT', 8443, 1, 65_535) } : undefined,
  };
}

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

/** Connects to DATABASE_URL; creates the database when the server answers but it is missing. */
async function ensureDatabase(url: string): Promise<void> {
  const connect = async (target: string) => {
    const client = new pg.Client({ connectionString: target, connectionTimeoutMillis: 3_000 });
    await client.connect();
    return client;
  };
  try {
    await (await connect(url)).end();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') {
      throw new SetupError(
        `PostgreSQL at ${redact(url)} does not answer (${(error as Error).message}).\n` +
          '  Start it (pg_ctlcluster <version> main start) or point DATABASE_URL at a running server.',
      );
    }
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = await connect(admin.toString()).catch((error: Error) => {
    throw new SetupError(`database ${name} does not exist and cannot be created: ${error.message}`);
  });
  try {
    await client.query(`create database "${name.replaceAll('"', '""')}"`);
    log(`created database ${name}`);
  } finally {
    await client.end();
  }
}

async function ensureRedis(url: string): Promise<void> {
  try {
    await withRedis(url, (redis) => redis.ping(), { timeoutMs: 3_000 });
  } catch (error) {
    throw new SetupError(
      `Redis at ${redact(url)} does not answer (${(error as Error).message}).\n` +
        '  Start it (redis-server --daemonize yes --bind 127.0.0.1 --port 6379) or point REDIS_URL at a running server.',
    );
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.env);
  const previous = await readState(settings.dir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    throw new SetupError(`a cluster is already running (pid ${previous.pid}, ${previous.url}); stop it first`);
  }
  await ensureDatabase(settings.databaseUrl);
  await ensureRedis(settings.redisUrl);
  const ports = [settings.httpPort, ...(settings.tls ? [settings.tls.port] : []), ...settings.instancePorts];
  for (const port of ports) {
    const host = port === settings.httpPort || port === settings.tls?.port ? settings.listenHost : '127.0.0.1';
    if (!(await portIsFree(port, host))) throw new SetupError(`port ${port} is in use (set HTTP_PORT / FIRST_INSTANCE_PORT to others)`);
  }
  // Loaded once the checks have passed: the ORM and the rest take a while to import.
  const { startCluster } = await import('./cluster.ts');
  await ensureWebBuild();

  // Registered before anything starts, so a signal during start-up still stops what started.
  let cluster: Cluster | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the instances and nginx`);
    if (!cluster) return; // still starting: stopped as soon as it is up
    await cluster.stop();
    await removeState(settings.dir);
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  log(`starting ${settings.instances} instance(s) on ports ${settings.instancePorts.join(', ')} and nginx on ${settings.httpPort}`);
  cluster = await startCluster({
    instances: settings.instances,
    httpPort: settings.httpPort,
    instancePorts: settings.instancePorts,
    databaseUrl: settings.databaseUrl,
    redisUrl: settings.redisUrl,
    webDist: defaultWebDist,
    dir: settings.dir,
    listenHost: settings.listenHost,
    ...(settings.tls ? { tls: settings.tls } : {}),
    env: { SEED_PRODUCTS: String(settings.seedProducts) },
    autoRestart: true,
    onOutput: (name, line) => console.log(`[${name}] ${line}`),
  });
  if (stopping) {
    stopping = false;
    return shutdown('stop requested during start-up');
  }
  const running = cluster;

  const state: ClusterState = {
    pid: process.pid,
    url: running.url,
    instances: running.instances.map(({ name, port }) => ({ name, port })),
    restarts: { completed: 0, lastError: null, running: false },
  };
  let restartQueued = false;
  let restartRunning = false;
  const rollingRestart = async () => {
    if (restartRunning) {
      restartQueued = true;
      return;
    }
    restartRunning = true;
    do {
      restartQueued = false;
      state.restarts.running = true;
      await writeState(settings.dir, state);
      log('rolling restart: one instance at a time');
      const started = Date.now();
      try {
        await running.rollingRestart();
        state.restarts.lastError = null;
        log(`rolling restart done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        state.restarts.lastError = (error as Error).message;
        log(`rolling restart failed: ${(error as Error).message}`);
      }
      state.restarts.completed += 1;
      state.restarts.running = false;
      await writeState(settings.dir, state);
    } while (restartQueued);
    restartRunning = false;
  };
  // Before the state file names this process: cluster:restart only signals a process that handles it.
  process.on('SIGUSR2', () => void rollingRestart());
  await writeState(settings.dir, state);
  log(`ready: ${running.url}/${settings.tls ? ` and https://${settings.listenHost}:${settings.tls.port}/` : ''}`);
  log('rolling restart: pnpm cluster:restart   stop: Ctrl-C');
}

main().catch((error: Error) => {
  console.error(`[cluster] ${error instanceof SetupError ? error.message : (error.stack ?? error.message)}`);
  process.exit(1);
});
