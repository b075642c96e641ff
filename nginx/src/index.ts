export { DEFAULT_SOCKETS, hardOpenFilesLimit, localWorkerCapacity, type WorkerCapacity, workerCapacity } from './capacity.ts';
export { type Cluster, type ClusterInstance, type ClusterOptions, startCluster } from './cluster.ts';
export { COMPOSE_NGINX, composeConfigFile, type LocalComposeNginx, renderComposeConfig, startComposeNginx } from './compose.ts';
export { findNginx, nginxProcess, testConfig, workerUser } from './nginx.ts';
export { prefixPaths } from './prefix.ts';
export { instancePorts, type RenderOptions, renderNginxConfig } from './render.ts';
export { CONTENT_SECURITY_POLICY, DEFAULT_RATE_LIMITS } from './server-block.ts';
export { buildWebInto, defaultWebDist, ensureWebBuild } from './web-build.ts';
