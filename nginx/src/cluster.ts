// N shop instances behind one nginx, started and stopped by PID: the production shape on one
// machine. Instances are this process's children (@shop/proc's shop instances), so restarts
// (rolling or after a crash) stay here.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createOrm, isSeeded, migrate, seedDemo } from '@shop/db';
import { freePort, freePorts, type ShopInstance, shopInstance, sleep } from '@shop/proc';
import { localWorkerCapacity } from './capacity.ts';
import { clusterDirs } from './cluster-dirs.ts';
import { findNginx, nginxProcess } from './nginx.ts';
import { drainFlag } from './prefix.ts';
import { renderNginxConfig, type TlsSettings } from './render.ts';
import type { RateLimits } from './server-block.ts';
import { builtWebDist } from './web-build.ts';

export interface ClusterOptions {
  /** Default 3. */
  instances?: number;
  /** Nginx port; 0 or unset → a free port. */
  httpPort?: number;
  /** Default: free ports. */
  instancePorts?: number[];
  /** Migrated (and seeded when empty, see env.SEED_PRODUCTS) before any instance starts. */
  databaseUrl: string;
  /** Unset → instances run with the in-process bus (then chat does not cross instances). */
  redisUrl?: string;
  /** SPA build served by nginx (default apps/web/dist). */
  webDist?: string;
  /**
   * Extra env for every instance. SEED_PRODUCTS (default 1000) is applied once by the cluster,
   * before the instances start, so three instances never seed one database at once.
   */
  env?: Record<string, string>;
  /**
   * Nginx prefix dir (conf, pid, temp, logs, instance logs) and the instances' DATA_DIR (their
   * session secret, unless env.SESSION_SECRET is set); default a fresh temp dir, removed by stop().
   */
  dir?: string;
  /** Address nginx listens on (default 127.0.0.1). */
  listenHost?: string;
  /** Also serve HTTPS (with HSTS) with this certificate. */
  tls?: TlsSettings;
  rateLimits?: Partial<RateLimits>;
  /** WebSockets Nginx's workers are sized to hold (default DEFAULT_SOCKETS, 20,000). */
  sockets?: number;
  /** Instance output, line by line; default: <dir>/logs/<name>.log. */
  onOutput?: (instance: string, line: string) => void;
  /** Restart an instance that exits on its own (not through kill/stop). Default false. */
  autoRestart?: boolean;
  /** nginx binary; default from PATH or /usr/sbin/nginx. */
  nginxBin?: string;
}

/** An instance as the cluster shows it: its name, port, URL and current PID (null while down). */
export type ClusterInstance = Pick<ShopInstance, 'name' | 'port' | 'url' | 'pid'>;

export interface Cluster {
  /** http://127.0.0.1:<httpPort> */
  url: string;
  httpPort: number;
  /** Nginx prefix dir: `dir`, or a temp one of its own where its workers could not reach that. */
  dir: string;
  instances: ClusterInstance[];
  /** Signals an instance (default SIGTERM) and waits for its exit. */
  kill(index: number, signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts an instance; resolves when its /ready is 200. */
  start(index: number): Promise<void>;
  /** One at a time: out of nginx's rotation, SIGTERM (drain), wait exit, start, ready, back in. */
  rollingRestart(): Promise<void>;
  stopNginx(): Promise<void>;
  startNginx(): Promise<void>;
  /** Stops everything started, by PID. */
  stop(): Promise<void>;
}

interface Slot {
  instance: ShopInstance;
  log: WriteStream | null;
}

/**
 * Applies migrations and, on an empty database, the demo seed with its accounts: once, before any
 * instance starts. The cluster is for trying and testing the shop; deployments (systemd, compose)
 * seed no accounts.
 */
async function prepareDatabase(url: string, products: number): Promise<void> {
  const orm = await createOrm({ url, poolMax: 2 });
  try {
    await migrate(orm);
    if (products > 0 && !(await isSeeded(orm.em.fork()))) await seedDemo(orm.em.fork(), { products, accounts: true });
  } finally {
    await orm.close();
  }
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const count = opts.instances ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`instances must be a positive integer, got ${count}`);
  if (opts.instancePorts && opts.instancePorts.length !== count) throw new Error(`${count} instances need ${count} ports`);
  const builtDist = builtWebDist(opts.webDist);
  const nginxBin = findNginx(opts.nginxBin);
  const dirs = await clusterDirs({ dir: opts.dir, builtDist });
  const { dir, prefix, webDist, user } = dirs;

  const { SEED_PRODUCTS = '1000', ...instanceEnv } = opts.env ?? {};
  await prepareDatabase(opts.databaseUrl, Number(SEED_PRODUCTS));

  const httpPort = opts.httpPort || (await freePort());
  const ports = opts.instancePorts ?? (await freePorts(count));
  let stopped = false;

  const slots: Slot[] = await Promise.all(
    ports.map(async (port, index) => {
      const name = `i${index + 1}`;
      const slot: Slot = {
        log: opts.onOutput ? null : createWriteStream(join(dir, 'logs', `${name}.log`), { flags: 'a' }),
        instance: await shopInstance({
          name,
          port,
          env: {
            ...instanceEnv,
            // Only opts.redisUrl: one in this process's environment is not the cluster's.
            REDIS_URL: opts.redisUrl,
            DATABASE_URL: opts.databaseUrl,
            // Without SESSION_SECRET, every instance seals with the one random secret kept here (the
            // first to start creates it), so a session opens on all of them and survives restarts.
            DATA_DIR: dir,
            // Nginx serves the SPA; the instances only see requests nginx forwards (X-Forwarded-For).
            WEB_DIST: '',
            TRUST_PROXY: 'true',
            SEED_PRODUCTS: '0',
          },
          onOutput: (line) => say(slot, line),
          // Should this process exit without stop() (a crash, process.exit), its instances drain and go.
          onParentExit: 'SIGTERM',
          onExit: ({ code, signal, expected }) => {
            if (!expected && !stopped && opts.autoRestart) void restartCrashed(index, code ?? signal);
          },
        }),
      };
      return slot;
    }),
  );
  const nginx = nginxProcess(nginxBin, prefix);
  // As many workers as this machine's open-file limit needs for the sockets (capacity.ts).
  const capacity = localWorkerCapacity(opts.sockets);
  const config = (generation: number) =>
    renderNginxConfig({
      prefix,
      httpPort,
      upstreams: slots.map((s) => ({ name: s.instance.name, port: s.instance.port })),
      webDist,
      generation,
      user,
      ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
      capacity,
    });

  function say(slot: Slot, line: string): void {
    if (opts.onOutput) opts.onOutput(slot.instance.name, line);
    else slot.log?.write(`${line}\n`);
  }

  function slotAt(index: number): Slot {
    const slot = slots[index];
    if (!slot) throw new Error(`no instance ${index}`);
    return slot;
  }

  const start = (index: number): Promise<void> => slotAt(index).instance.start();

  async function restartCrashed(index: number, how: number | string | null): Promise<void> {
    const slot = slotAt(index);
    say(slot, `[cluster] ${slot.instance.name} exited on its own (${how}); restarting`);
    while (!stopped && !slot.instance.running()) {
      await sleep(1_000);
      if (stopped || slot.instance.running()) return;
      try {
        await start(index);
        await forgetFailures();
      } catch {
        // Logged by the instance itself; try again.
      }
    }
  }

  async function kill(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await slotAt(index).instance.stop(signal);
  }

  /** A reload starts nginx's workers without their memory of failed instances (max_fails). */
  async function forgetFailures(): Promise<void> {
    if (nginx.running) await nginx.reload(config);
  }

  let restarting: Promise<void> = Promise.resolve();
  async function rollingRestartOnce(): Promise<void> {
    for (let index = 0; index < slots.length; index++) {
      // With one instance there is nowhere else to send traffic: it is restarted in place.
      const rotate = slots.length > 1;
      const flag = drainFlag(prefix, slotAt(index).instance.name);
      if (rotate) {
        await writeFile(flag, '');
        // Requests routed just before (a POST may still be reading its body) reach it first.
        await sleep(500);
      }
      try {
        // SIGTERM: /ready turns 503, WebSocket clients are told to reconnect (through nginx, to
        // the others), in-flight requests finish, then the process exits.
        await kill(index, 'SIGTERM');
        await start(index);
      } finally {
        // Also when the new process failed: a later start(index) must find it in rotation.
        await rm(flag, { force: true });
      }
    }
  }

  async function stop(): Promise<void> {
    stopped = true;
    await Promise.all(slots.map((_, i) => kill(i, 'SIGTERM')));
    await nginx.stop();
    await Promise.all(slots.map((s) => new Promise<void>((r) => (s.log ? s.log.end(r) : r()))));
    await dirs.remove();
  }

  try {
    await Promise.all(slots.map((_, i) => start(i)));
    await nginx.start(config);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url: `http://${opts.listenHost && opts.listenHost !== '0.0.0.0' ? opts.listenHost : '127.0.0.1'}:${httpPort}`,
    httpPort,
    dir: prefix,
    instances: slots.map((slot) => slot.instance),
    kill,
    async start(index) {
      await start(index);
      // Back in rotation now, not once nginx's fail_timeout for it has run out.
      await forgetFailures();
    },
    rollingRestart() {
      restarting = restarting.then(rollingRestartOnce, rollingRestartOnce);
      return restarting;
    },
    stopNginx: () => nginx.stop(),
    startNginx: () => nginx.start(config),
    stop,
  };
}
