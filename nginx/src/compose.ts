// The Nginx configuration docker-compose.yml mounts (apps/server/deploy/nginx.compose.conf),
// rendered by the cluster's renderer: the same headers, limits, micro-cache and routing, with what
// differs inside the container (service names, port 80, the image's paths, user and log devices).
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, spawnTracked, stop, waitForHttp } from '@shop/proc';
import { findNginx, preparePrefix, testConfig, workerUser } from './nginx.ts';
import { prefixPaths } from './prefix.ts';
import { type RenderOptions, renderNginxConfig } from './render.ts';

export const composeConfigFile = join(repoRoot, 'apps/server/deploy/nginx.compose.conf');

export const COMPOSE_NGINX = {
  // The Dockerfile's web stage creates its temp and cache folders (nginx makes only the last part).
  prefix: '/var/cache/nginx/shop',
  listenHost: '0.0.0.0',
  httpPort: 80,
  upstreams: ['app1', 'app2', 'app3'].map((name) => ({ name, host: name, port: 3000 })),
  webDist: '/usr/share/shop/web',
  // The nginx image's own unprivileged user; its master runs as root.
  user: 'nginx nginx',
  // No supervisor in the container: instances drain by answering 503 on /ready and refusing upgrades.
  drainControl: false,
  logs: { access: '/dev/stdout', error: '/dev/stderr' },
  note: 'Mounted by apps/server/deploy/docker-compose.yml; regenerate with `pnpm nginx:compose`.',
} satisfies RenderOptions;

/** The compose configuration; `overrides` point it at this machine in tests, the rest stays as committed. */
export const renderComposeConfig = (overrides: Partial<RenderOptions> = {}): string =>
  renderNginxConfig({ ...COMPOSE_NGINX, ...overrides });

export interface LocalComposeNginx {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Graceful quit by PID, then the temporary prefix is removed. */
  stop(): Promise<void>;
}

/**
 * The compose configuration in this machine's nginx, for tests (Docker cannot run here): this
 * machine's values in place of the container's (upstream addresses, port, prefix, SPA folder, worker
 * user, log files); every routing rule, header and limit stays as committed.
 */
export async function startComposeNginx(options: {
  /** The instances nginx forwards to, in place of the compose services app1…app3. */
  upstreams: { host: string; port: number }[];
  webDist: string;
  /** Default: a free port. */
  httpPort?: number;
}): Promise<LocalComposeNginx> {
  const prefix = await mkdtemp(join(tmpdir(), 'shop-compose-'));
  // The workers (nobody, when this process is root) read the config's paths under it.
  await chmod(prefix, 0o755);
  const remove = () => rm(prefix, { recursive: true, force: true });
  try {
    await preparePrefix(prefix);
    const port = options.httpPort ?? (await freePort());
    const paths = prefixPaths(prefix);
    await writeFile(
      paths.conf,
      renderComposeConfig({
        prefix,
        listenHost: '127.0.0.1',
        httpPort: port,
        upstreams: options.upstreams.map((u, i) => ({ name: `app${i + 1}`, ...u })),
        webDist: options.webDist,
        user: workerUser(),
        logs: { access: paths.accessLog, error: paths.errorLog },
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
      await waitForHttp(`${url}/`, 'compose nginx', { child: nginx });
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
