// The shop's server process (apps/server/src/main.ts), started the one way every harness, suite,
// benchmark and the cluster supervisor starts it: on its port, ready once /ready answers 200,
// restartable, and stopped by PID.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, type PortRange } from './ports.ts';
import { hasExited, spawnTracked, stop } from './process.ts';
import { repoRoot } from './repo.ts';
import { sleep, waitForHttp } from './wait.ts';

export const serverDir = join(repoRoot, 'apps/server');
export const serverMain = join(serverDir, 'src/main.ts');

/**
 * Node's flags for a shop instance, wherever it starts (here, the image's CMD, `pnpm start`): a
 * young generation capped at 2 × 8 MB. Uncapped, V8 grows it to 2 × 32 MB during a burst of
 * connections and keeps it, which was half of an idle socket's memory (22.6 → 10.7 KB a socket
 * over 20,000 sockets through Nginx) for about 5 % more CPU at 1,000 chat messages a second.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * An instance's environment over this process's; a name set to undefined is left out, as if never
 * set. One that names any REDIS_* variable chooses the instance's Redis: the REDIS_* variables of
 * this process are then left out, so a shell's REDIS_SENTINELS or REDIS_PASSWORD never mixes with it.
 */
export type InstanceEnv = Record<string, string | undefined>;

export interface ShopInstanceOptions {
  /** INSTANCE_NAME: the `x-instance` header and the logs' `instance`. */
  name: string;
  /** Default: a free port, from `ports` when given. */
  port?: number;
  ports?: PortRange;
  /**
   * Over this process's environment and the defaults: PORT, HOST 127.0.0.1, INSTANCE_NAME,
   * SEED_PRODUCTS 0 and WEB_DIST '' (no SPA). NODE_ENV is the caller's to choose.
   */
  env?: InstanceEnv;
  /** Every output line, stdout and stderr. Without it stdout is dropped and stderr goes to ours. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long start() waits for /ready; default 60 s. */
  readyTimeoutMs?: number;
  /** Sent should this process exit without stopping it; default SIGKILL (SIGTERM lets it drain). */
  onParentExit?: NodeJS.Signals;
  /** Its process exited: `expected` when stop() or a failed start() ended it, not when it ended itself. */
  onExit?: (exit: { code: number | null; signal: NodeJS.Signals | null; expected: boolean }) => void;
}

export interface ShopInstance {
  readonly name: string;
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Its running process's PID, else null. */
  readonly pid: number | null;
  /** The process last started, running or not (null before the first start). */
  readonly process: ChildProcess | null;
  running(): boolean;
  /** Starts it unless it runs; resolves once /ready answers 200, else kills it and throws with its last output. */
  start(): Promise<void>;
  /**
   * Signals it (SIGTERM by default: /ready turns 503, it drains and exits), SIGKILL after `graceMs`
   * (20 s, past the server's own 15 s drain limit); resolves with its exit code once it has exited.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const RECENT_LINES = 20;

// The variables that together say where Redis is (apps/server/src/env.ts): REDIS_URL, or
// REDIS_SENTINELS with its name and passwords.
const isRedisVariable = (name: string) => name.startsWith('REDIS_');

/** What an instance runs with: `inherited` (this process's environment), the defaults, then `env` (see InstanceEnv). */
export function instanceEnv(name: string, port: number, env: InstanceEnv, inherited = process.env): NodeJS.ProcessEnv {
  const choosesRedis = Object.keys(env).some(isRedisVariable);
  const merged: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(inherited).filter(([key]) => !(choosesRedis && isRedisVariable(key)))),
    PORT: String(port),
    HOST: '127.0.0.1',
    INSTANCE_NAME: name,
    SEED_PRODUCTS: '0',
    WEB_DIST: '',
    ...env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete merged[key];
  return merged;
}

/** A shop instance on its port, not started yet (see `startShopInstance`). */
export async function shopInstance(options: ShopInstanceOptions): Promise<ShopInstance> {
  const { name, onOutput, onExit, readyTimeoutMs = 60_000, onParentExit } = options;
  const port = options.port ?? (await freePort(options.ports));
  const url = `http://127.0.0.1:${port}`;
  const recent: string[] = [];
  const stopping = new WeakSet<ChildProcess>();
  let current: ChildProcess | null = null;
  const running = () => current !== null && !hasExited(current);

  function read(stream: NodeJS.ReadableStream | null, kind: 'stdout' | 'stderr'): void {
    if (!stream || !onOutput) return;
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line.slice(0, 500));
      if (recent.length > RECENT_LINES) recent.shift();
      onOutput(line, kind);
    });
  }

  async function stopInstance(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<number | null> {
    if (!current) return null;
    if (!hasExited(current)) stopping.add(current);
    return stop(current, signal, graceMs);
  }

  return {
    name,
    port,
    url,
    get pid() {
      return running() ? (current?.pid ?? null) : null;
    },
    get process() {
      return current;
    },
    running,
    async start() {
      if (running()) return;
      const child = spawnTracked(process.execPath, [...SERVER_NODE_FLAGS, serverMain], {
        cwd: serverDir,
        env: instanceEnv(name, port, options.env ?? {}),
        stdio: ['ignore', onOutput ? 'pipe' : 'ignore', onOutput ? 'pipe' : 'inherit'],
        ...(onParentExit ? { onParentExit } : {}),
      });
      current = child;
      read(child.stdout, 'stdout');
      read(child.stderr, 'stderr');
      child.once('exit', (code, signal) => onExit?.({ code, signal, expected: stopping.has(child) }));
      try {
        await waitForHttp(`${url}/ready`, `instance ${name}`, { child, timeoutMs: readyTimeoutMs });
      } catch (error) {
        await stopInstance('SIGKILL');
        if (!onOutput) throw error;
        const said = recent.length ? recent.join('\n') : '(nothing)';
        throw new Error(`${(error as Error).message}; its last output:\n${said}`, { cause: error });
      }
    },
    stop: stopInstance,
  };
}

/** A shop instance, started: resolves once its /ready answers 200. */
export async function startShopInstance(options: ShopInstanceOptions): Promise<ShopInstance> {
  const instance = await shopInstance(options);
  await instance.start();
  return instance;
}

/**
 * Runs an instance that should refuse to start: its exit code and what it wrote to stderr. One
 * still running after `timeoutMs` is killed, and its code is null.
 */
export async function exitOfShopInstance(
  name: string,
  env: InstanceEnv,
  { timeoutMs = 20_000, ports }: { timeoutMs?: number; ports?: PortRange } = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnTracked(process.execPath, [...SERVER_NODE_FLAGS, serverMain], {
    cwd: serverDir,
    env: instanceEnv(name, await freePort(ports), env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const code = await Promise.race([exited, sleep(timeoutMs).then(() => 'running' as const)]);
  if (code === 'running') {
    await stop(child, 'SIGKILL');
    return { code: null, stderr };
  }
  return { code, stderr };
}
