export { type Cluster, type ClusterInstance, type ClusterOptions, startCluster } from './cluster.ts';
export { COMPOSE_NGINX, composeConfigFile, type LocalComposeNginx, renderComposeConfig, startComposeNginx } from './compose.ts';
export { K8S_NGINX, K8S_TLS, k8sDir, k8sNginxFiles, k8sNginxFolders, renderK8sConfig } from './k8s.ts';
export { type LocalNginx, type LocalNginxOptions, startLocalNginx } from './local.ts';
export { findNginx, nginxProcess, testConfig, workerUser } from './nginx.ts';
export { instancePorts, type RenderOptions, renderNginxConfig } from './render.ts';
export { CONTENT_SECURITY_POLICY, DEFAULT_RATE_LIMITS } from './server-block.ts';
export { defaultWebDist, ensureWebBuild } from './web-build.ts';
