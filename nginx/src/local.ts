// A deployment's rendered Nginx configuration (compose, Kubernetes) run in this machine's nginx, for
// tests: containers cannot run here, so this machine's values replace the container's (upstream
// addresses, port, prefix, SPA folder, worker user, log files, certificate); every routing rule,
// header and limit stays as the deployment has it.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnTracked, stop, waitForPort } from '@shop/proc';
import { findNginx, preparePrefix, testConfig, workerUser } from './nginx.ts';
import { prefixPaths } from './prefix.ts';
import type { RenderOptions, TlsSettings } from './render.ts';

const run = promisify(execFile);

export interface LocalNginx {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The master's PID. */
  pid: number;
  /** nginx's error log (removed by stop). */
  errorLog: string;
  /** Graceful quit by PID, then the temporary prefix is removed. */
  stop(): Promise<void>;
}

export interface LocalNginxOptions {
  /** The instances nginx forwards to, in place of the deployment's upstreams. */
  upstreams: { host: string; port: number }[];
  webDist: string;
  /** Default: a free port. */
  httpPort?: number;
  /** A local certificate and port in place of the deployment's, for a configuration with HTTPS. */
  tls?: TlsSettings;
  /**
   * Starts the master as a container's non-root nginx starts: not root (`nobody` when this process
   * is root), with these open-file limits (the hard one at most this process's), so without a
   * `user` switch, and worker_rlimit_nofile may lower the hard limit but not raise it.
   */
  unprivileged?: { openFiles: { soft: number; hard: number } };
}

/** Renders with this machine's values over the deployment's (`render` applies them), then starts nginx. */
export async function startLocalNginx(
  render: (overrides: Partial<RenderOptions>) => string,
  options: LocalNginxOptions,
): Promise<LocalNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'shop-local-nginx-'));
  // The workers (nobody, when this process is root) read the config's paths under it.
  await chmod(prefix, 0o755);
  const remove = () => rm(prefix, { recursive: true, force: true });
  try {
    await preparePrefix(prefix);
    const port = options.httpPort ?? (await freePort());
    const paths = prefixPaths(prefix);
    await writeFile(
      paths.conf,
      render({
        prefix,
        listenHost: '127.0.0.1',
        httpPort: port,
        upstreams: options.upstreams.map((u, i) => ({ name: `app${i + 1}`, ...u })),
        webDist: options.webDist,
        user: options.unprivileged ? undefined : workerUser(),
        logs: { access: paths.accessLog, error: paths.errorLog },
        ...(options.tls ? { tls: options.tls } : {}),
      }),
    );
    const bin = findNginx();
    await testConfig(bin, prefix);
    const args = ['-p', `${prefix}/`, '-c', paths.conf, '-e', paths.errorLog, '-g', 'daemon off;'];
    const [command, commandArgs] = options.unprivileged
      ? await unprivileged(prefix, options.unprivileged.openFiles, [bin, ...args])
      : [bin, args];
    const nginx = spawnTracked(command, commandArgs, { stdio: ['ignore', 'ignore', 'inherit'], onParentExit: 'SIGTERM' });
    const url = `http://127.0.0.1:${port}`;
    try {
      // Listening means the configuration loaded (its HTTP server may only redirect, so no GET).
      await waitForPort(port, 'local nginx', { child: nginx });
    } catch (error) {
      await stop(nginx, 'SIGQUIT');
      throw error;
    }
    return {
      url,
      port,
      pid: nginx.pid ?? 0,
      errorLog: paths.errorLog,
      async stop() {
        await stop(nginx, 'SIGQUIT');
        await remove();
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * `prlimit` (then `setpriv` to nobody when this process is root) in front of `command`: both exec
 * it, so the PID is nginx's. The prefix becomes nobody's: the master writes its logs, pid and temp
 * files there itself.
 */
async function unprivileged(
  prefix: string,
  { soft, hard }: { soft: number; hard: number },
  command: string[],
): Promise<[string, string[]]> {
  const [user, group = user] = (workerUser() ?? '').split(' ');
  const limit = [`--nofile=${soft}:${hard}`];
  if (!user) return ['prlimit', [...limit, ...command]];
  await run('chown', ['-R', `${user}:${group}`, prefix]);
  return ['prlimit', [...limit, 'setpriv', `--reuid=${user}`, `--regid=${group}`, '--clear-groups', '--', ...command]];
}
