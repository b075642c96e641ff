// A deployment's rendered Nginx configuration (compose, Kubernetes) run in this machine's nginx, for
// tests: containers cannot run here, so this machine's values replace the container's (upstream
// addresses, port, prefix, SPA folder, worker user, log files, certificate); every routing rule,
// header and limit stays as the deployment has it.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTracked, stop, waitForPort } from '@shop/proc';
import { findNginx, preparePrefix, testConfig, workerUser } from './nginx.ts';
import { prefixPaths } from './prefix.ts';
import type { RenderOptions, TlsSettings } from './render.ts';

export interface LocalNginx {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
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
        user: workerUser(),
        logs: { access: paths.accessLog, error: paths.errorLog },
        ...(options.tls ? { tls: options.tls } : {}),
      }),
    );
    const bin = findNginx();
    await testConfig(bin, prefix);
    const nginx = spawnTracked(bin, ['-p', `${prefix}/`, '-c', paths.conf, '-e', paths.errorLog, '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      onParentExit: 'SIGTERM',
    });
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
