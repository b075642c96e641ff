// N shop instances behind one nginx, started and stopped by PID: the production shape on one
// machine. Instances are this process's children, so restarts (rolling or after a crash) stay here.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createOrm, isSeeded, migrate, seedDemo } from '@shop/db';
import { freePort, freePorts, reachableByOthers, spawnTracked, stop as stopChild, waitForHttp } from '@shop/proc';
import { findNginx, nginxProcess, workerUser } from './nginx.ts';
import { drainFlag, prefixPaths, type RateLimits, renderNginxConfig, type TlsSettings } from './render.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const serverMain = join(repoRoot, 'apps/server/src/main.ts');
export const defaultWebDist = join(repoRoot, 'apps/web/dist');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  /** Instance output, line by line; default: <dir>/logs/<name>.log. */
  onOutput?: (instance: string, line: string) => void;
  /** Restart an instance that exits on its own (not through kill/stop). Default false. */
  autoRestart?: boolean;
  /** nginx binary; default from PATH or /usr/sbin/nginx. */
  nginxBin?: string;
}

export interface ClusterInstance {
  name: string;
  port: number;
  url: string;
  pid: number | null;
}

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
  name: string;
  port: number;
  url: string;
  child: ChildProcess | null;
  exited: Promise<void>;
  /** Set while this process is the one stopping it, so its exit is not a crash. */
  stopping: boolean;
  log: WriteStream | null;
  /** Its latest output lines, told when it fails to start (its log file goes with a temp dir). */
  recent: string[];
}

/**
 * Builds the SPA into apps/web/dist when there is no build yet (`pnpm --filter @shop/web build`).
 * Test files in parallel processes may all ask at once: one builds, the others wait for it.
 */
export async function ensureWebBuild(): Promise<void> {
  const index = join(defaultWebDist, 'index.html');
  if (existsSync(index)) return;
  const lock = join(tmpdir(), `shop-web-build-${createHash('sha1').update(repoRoot).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(index) && !existsSync(lock)) return;
      if (Date.now() > deadline) throw new Error(`waited too long for another SPA build (remove ${lock} if none runs)`);
      await sleep(500);
    }
  }
  try {
    if (existsSync(index)) return;
    const build = spawn('pnpm', ['--filter', '@shop/web', 'build'], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    // 'error' (pnpm not on PATH) comes instead of 'exit': without it the wait would never end.
    const code = await new Promise<number | null>((done, fail) => {
      build.once('exit', done);
      build.once('error', (error) => fail(new Error(`could not run pnpm to build the SPA: ${error.message}`)));
    });
    if (code !== 0) throw new Error(`building the SPA failed (exit ${code})`);
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
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
  const builtDist = resolve(opts.webDist ?? defaultWebDist);
  if (!existsSync(join(builtDist, 'index.html'))) {
    throw new Error(`no SPA build in ${builtDist}: run \`pnpm --filter @shop/web build\` first`);
  }
  const nginxBin = findNginx(opts.nginxBin);
  const ownDir = !opts.dir;
  const dir = resolve(opts.dir ?? (await mkdtemp(join(tmpdir(), 'shop-cluster-'))));
  await mkdir(join(dir, 'logs'), { recursive: true });
  // Flags left by an interrupted rolling restart would keep an instance out of rotation.
  await rm(prefixPaths(dir).drain, { recursive: true, force: true });
  await mkdir(prefixPaths(dir).drain, { recursive: true });
  if (ownDir) await chmod(dir, 0o755);
  // Started as root, nginx's workers run as `nobody`, who must reach its prefix (temp files, the
  // cache, drain flags) and the SPA. Where this checkout is out of its reach (under root's 0700
  // home), nginx gets a prefix of its own in the temp folder, with a copy of the SPA.
  const user = workerUser();
  const ownPrefix = user !== undefined && !reachableByOthers(dir);
  const prefix = ownPrefix ? await mkdtemp(join(tmpdir(), 'shop-nginx-')) : dir;
  if (ownPrefix) {
    await chmod(prefix, 0o755);
    await mkdir(prefixPaths(prefix).drain, { recursive: true });
  }
  const webDist = user !== undefined && !reachableByOthers(builtDist) ? join(prefix, 'web') : builtDist;
  if (webDist !== builtDist) {
    await cp(builtDist, webDist, { recursive: true });
    // cp keeps the build folder's own mode, which a mkdtemp folder has as 0700.
    await chmod(webDist, 0o755);
  }

  const { SEED_PRODUCTS = '1000', ...instanceEnv } = opts.env ?? {};
  await prepareDatabase(opts.databaseUrl, Number(SEED_PRODUCTS));

  const httpPort = opts.httpPort || (await freePort());
  const ports = opts.instancePorts ?? (await freePorts(count));
  const slots: Slot[] = ports.map((port, i) => ({
    name: `i${i + 1}`,
    port,
    url: `http://127.0.0.1:${port}`,
    child: null,
    exited: Promise.resolve(),
    stopping: false,
    log: null,
    recent: [],
  }));
  const nginx = nginxProcess(nginxBin, prefix);
  const config = (generation: number) =>
    renderNginxConfig({
      prefix,
      httpPort,
      upstreams: slots.map((s) => ({ name: s.name, port: s.port })),
      webDist,
      generation,
      user,
      ...(opts.listenHost ? { listenHost: opts.listenHost } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.rateLimits ? { rateLimits: opts.rateLimits } : {}),
    });

  let stopped = false;
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, ...instanceEnv };
  delete baseEnv.REDIS_URL;

  function output(slot: Slot, stream: NodeJS.ReadableStream) {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      slot.recent.push(line.slice(0, 500));
      if (slot.recent.length > 20) slot.recent.shift();
      if (opts.onOutput) opts.onOutput(slot.name, line);
      else slot.log?.write(`${line}\n`);
    });
  }

  async function start(index: number): Promise<void> {
    const slot = slots[index];
    if (!slot) throw new Error(`no instance ${index}`);
    if (slot.child) return;
    if (!opts.onOutput && !slot.log) slot.log = createWriteStream(join(dir, 'logs', `${slot.name}.log`), { flags: 'a' });
    const child = spawnTracked(process.execPath, [serverMain], {
      cwd: join(repoRoot, 'apps/server'),
      env: {
        ...baseEnv,
        PORT: String(slot.port),
        HOST: '127.0.0.1',
        INSTANCE_NAME: slot.name,
        DATABASE_URL: opts.databaseUrl,
        // Without SESSION_SECRET, every instance seals with the one random secret kept here (the
        // first to start creates it), so a session opens on all of them and survives restarts.
        DATA_DIR: dir,
        ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
        // Nginx serves the SPA; the instances only see requests nginx forwards (X-Forwarded-For).
        WEB_DIST: '',
        TRUST_PROXY: 'true',
        SEED_PRODUCTS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Should this process exit without stop() (a crash, process.exit), its instances drain and go.
      onParentExit: 'SIGTERM',
    });
    slot.child = child;
    slot.stopping = false;
    if (child.stdout) output(slot, child.stdout);
    if (child.stderr) output(slot, child.stderr);
    slot.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        if (slot.child === child) slot.child = null;
        resolveExit();
        if (!slot.stopping && !stopped && opts.autoRestart) void restartCrashed(index, code ?? signal);
      });
    });
    try {
      await waitForHttp(`${slot.url}/ready`, `instance ${slot.name}`, { child });
    } catch (error) {
      await kill(index, 'SIGKILL');
      const said = slot.recent.length ? slot.recent.join('\n') : '(nothing)';
      throw new Error(`${(error as Error).message}; its last output:\n${said}`, { cause: error });
    }
  }

  async function restartCrashed(index: number, how: number | string | null): Promise<void> {
    const slot = slots[index] as Slot;
    const line = `[cluster] ${slot.name} exited on its own (${how}); restarting`;
    if (opts.onOutput) opts.onOutput(slot.name, line);
    else slot.log?.write(`${line}\n`);
    while (!stopped && !slot.child) {
      await sleep(1_000);
      if (stopped || slot.child) return;
      try {
        await start(index);
        await forgetFailures();
      } catch {
        // Logged by the instance itself; try again.
      }
    }
  }

  async function kill(index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const slot = slots[index];
    if (!slot) throw new Error(`no instance ${index}`);
    const child = slot.child;
    if (!child) return;
    slot.stopping = true;
    const exited = slot.exited;
    // A drain that hangs past the server's own 15 s limit is ended.
    await stopChild(child, signal, 20_000);
    await exited;
  }

  /** A reload starts nginx's workers without their memory of failed instances (max_fails). */
  async function forgetFailures(): Promise<void> {
    if (nginx.running) await nginx.reload(config);
  }

  let restarting: Promise<void> = Promise.resolve();
  async function rollingRestartOnce(): Promise<void> {
    for (let index = 0; index < slots.length; index++) {
      const slot = slots[index] as Slot;
      // With one instance there is nowhere else to send traffic: it is restarted in place.
      const rotate = slots.length > 1;
      const flag = drainFlag(prefix, slot.name);
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
    if (ownDir) await rm(dir, { recursive: true, force: true });
    if (ownPrefix) await rm(prefix, { recursive: true, force: true });
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
    instances: slots.map((slot) => ({
      name: slot.name,
      port: slot.port,
      url: slot.url,
      get pid() {
        return slot.child?.pid ?? null;
      },
    })),
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
