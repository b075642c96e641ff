// One nginx master process of our own: its prefix dir, config writes checked with `nginx -t`, and
// reloads that resolve once the new workers answer (seen through the control socket).
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { sleep, spawnTracked } from '@shop/proc';
import { prefixPaths } from './prefix.ts';

const execFileAsync = promisify(execFile);

/** The nginx binary: NGINX_BIN-style override, else the first on PATH, else Debian's /usr/sbin/nginx. */
export function findNginx(override?: string): string {
  if (override) return override;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'nginx');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error('nginx not found: install it (apt-get install nginx) or put it on PATH');
}

/**
 * Who nginx's workers run as when this process is root: `nobody` in Debian's `nogroup` (or its own
 * group elsewhere). Undefined otherwise: a master that is not root cannot switch user anyway.
 */
export function workerUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const groups = existsSync('/etc/group') ? readFileSync('/etc/group', 'utf8') : '';
  return /^nogroup:/m.test(groups) ? 'nobody nogroup' : 'nobody';
}

/** Creates the folders the rendered config points at (nginx creates only the last component). */
export async function preparePrefix(prefix: string): Promise<void> {
  const paths = prefixPaths(prefix);
  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.cache, { recursive: true });
  await mkdir(paths.drain, { recursive: true });
  for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(paths.temp, name), { recursive: true });
}

const baseArgs = (prefix: string) => {
  const paths = prefixPaths(prefix);
  return ['-p', `${prefix}/`, '-c', paths.conf, '-e', paths.errorLog];
};

/** `nginx -t` on the prefix's config; throws with nginx's own explanation. */
export async function testConfig(bin: string, prefix: string): Promise<void> {
  try {
    await execFileAsync(bin, [...baseArgs(prefix), '-t', '-q']);
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`nginx -t failed for ${prefixPaths(prefix).conf}:\n${stderr?.trim() || (error as Error).message}`);
  }
}

/** The generation the workers answering on the control socket were started with, or null. */
function readGeneration(socketPath: string): Promise<number | null> {
  return new Promise((resolve) => {
    // A fresh connection each time (no agent): a kept-alive one could reach an old worker.
    const req = request({ socketPath, path: '/generation', agent: false, timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? Number(body) : null));
    });
    req.on('error', () => resolve(null));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface NginxProcess {
  readonly pid: number | null;
  readonly running: boolean;
  /** Writes the config for this generation, checks it, and starts the master (daemon off). */
  start(config: (generation: number) => string): Promise<void>;
  /** Writes and checks a new config, reloads, and resolves once new workers serve it. */
  reload(config: (generation: number) => string): Promise<void>;
  /** Graceful quit (in-flight requests finish), then harder signals if it lingers. */
  stop(): Promise<void>;
}

export function nginxProcess(bin: string, prefix: string): NginxProcess {
  const paths = prefixPaths(prefix);
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let generation = 0;
  // Reloads one at a time: each waits for its own generation to be served.
  let queue: Promise<void> = Promise.resolve();

  const write = async (config: (generation: number) => string) => {
    generation += 1;
    await writeFile(paths.conf, config(generation));
    await testConfig(bin, prefix);
  };

  /** Resolves once several fresh connections in a row reach workers of this generation. */
  const waitForGeneration = async (wanted: number, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    let inARow = 0;
    while (inARow < 3) {
      if (child === null) throw new Error(`nginx exited; see ${paths.errorLog}`);
      if (Date.now() > deadline) throw new Error(`nginx did not serve config generation ${wanted}; see ${paths.errorLog}`);
      inARow = (await readGeneration(paths.controlSocket)) === wanted ? inARow + 1 : 0;
      if (inARow < 3) await sleep(inARow ? 20 : 50);
    }
  };

  return {
    get pid() {
      return child?.pid ?? null;
    },
    get running() {
      return child !== null;
    },
    async start(config) {
      if (child) return;
      // Cached answers from an earlier run may belong to another database: start empty.
      await rm(paths.cache, { recursive: true, force: true });
      await preparePrefix(prefix);
      await write(config);
      // A socket file left by a killed master would make the bind fail.
      await rm(paths.controlSocket, { force: true });
      // SIGTERM should this process exit without stopping it: the master then ends its workers.
      const proc = spawnTracked(bin, [...baseArgs(prefix), '-g', 'daemon off;'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        onParentExit: 'SIGTERM',
      });
      let stderr = '';
      proc.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child = proc;
      exited = new Promise((resolve) => {
        proc.once('exit', () => {
          if (child === proc) child = null;
          resolve();
        });
      });
      try {
        await waitForGeneration(generation);
      } catch (error) {
        await this.stop();
        throw new Error(`${(error as Error).message}\n${stderr.trim()}`);
      }
    },
    reload(config) {
      const run = async () => {
        if (!child) throw new Error('nginx is not running');
        await write(config);
        child.kill('SIGHUP');
        await waitForGeneration(generation);
      };
      const next = queue.then(run, run);
      queue = next.catch(() => {});
      return next;
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      const done = exited;
      for (const [signal, waitMs] of [
        ['SIGQUIT', 10_000],
        ['SIGTERM', 5_000],
        ['SIGKILL', 5_000],
      ] as const) {
        proc.kill(signal);
        if (await Promise.race([done.then(() => true), sleep(waitMs).then(() => false)])) break;
      }
      await done;
    },
  };
}
