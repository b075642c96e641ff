// The Nginx configuration docker-compose.yml mounts (apps/server/deploy/nginx.compose.conf),
// rendered by the cluster's renderer: the same headers, limits, micro-cache and routing, with what
// differs inside the container (service names, port 80, the image's paths, user and log devices).
import { join } from 'node:path';
import { repoRoot } from '@shop/proc';
import { type LocalNginx, type LocalNginxOptions, startLocalNginx } from './local.ts';
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

export type LocalComposeNginx = LocalNginx;

/**
 * The compose configuration in this machine's nginx, for tests (Docker cannot run here): this
 * machine's values in place of the container's (see startLocalNginx); every routing rule, header
 * and limit stays as committed.
 */
export const startComposeNginx = (options: LocalNginxOptions): Promise<LocalNginx> => startLocalNginx(renderComposeConfig, options);
