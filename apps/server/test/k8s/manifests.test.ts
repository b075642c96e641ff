// apps/server/deploy/k8s: the base and both overlays, rendered (kustomize.ts), checked against the
// Kubernetes schemas offline and for their wiring to the code: probes, ports, variables, commands,
// references between objects. The pods' commands are run for real in pods.test.ts.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { K8S_NGINX, K8S_TLS, k8sNginxFiles, k8sNginxFolders, renderK8sConfig } from '@shop/nginx';
import { repoRoot, SERVER_NODE_FLAGS } from '@shop/proc';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.ts';
import { SHUTDOWN_LIMIT_MS } from '../../src/shutdown.ts';
import { dockerfileStages } from '../dockerfile.ts';
import { containersOf, type Manifest, podSpecOf } from './kustomize.ts';
import {
  build,
  commandOf,
  container,
  find,
  imageOf,
  mountOf,
  OVERLAYS,
  overlaySecrets,
  resolveEnv,
  stageOf,
  TREES,
  type Tree,
  validateManifest,
  volumeAt,
  volumesOf,
} from './wiring.ts';

const trees = Object.keys(TREES) as Tree[];
const built = Object.fromEntries(trees.map((tree) => [tree, build(tree)])) as Record<Tree, Manifest[]>;
const labelsOf = (m: Manifest) =>
  (m.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {};
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
const workloads = (manifests: Manifest[]) => manifests.filter((m) => podSpecOf(m));
type Probe = { httpGet?: { path: string; port: string }; exec?: { command: string[] } };
type Port = { name: string; containerPort: number };
const scripts = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;

describe('the Kubernetes manifests', () => {
  it.each(trees)('%s: every manifest validates against the Kubernetes schemas', (tree) => {
    expect(built[tree].length).toBeGreaterThan(8);
    for (const manifest of built[tree])
      expect(() => validateManifest(manifest), `${manifest.kind}/${manifest.metadata.name}`).not.toThrow();
    // Everything lands in one namespace, none in whatever the kubectl context points at.
    expect(new Set(built[tree].map((m) => m.metadata.namespace))).toEqual(new Set(['shop']));
  });

  it('the schema check refuses what Kubernetes would: a port by name where a number goes, a workload without selector', () => {
    const broken = structuredClone(find(built.base, 'Deployment', 'shop-server'));
    (container(broken, 'server').ports as { containerPort: unknown }[])[0] = { containerPort: 'http' };
    expect(() => validateManifest(broken)).toThrow(/containerPort/);
    delete (broken.spec as { selector?: unknown }).selector;
    expect(() => validateManifest(broken)).toThrow(/selector/);
    // And the small overlay's Secret, as secrets.sh prints it.
    const { manifest } = overlaySecrets('small');
    expect(() => validateManifest(manifest as Manifest)).not.toThrow();
  });

  it.each(OVERLAYS)('%s: every reference resolves (selectors, ports, ConfigMaps, volumes, Secrets, scale targets)', (overlay) => {
    const manifests = built[overlay];
    const secrets = overlaySecrets(overlay).data;
    for (const w of workloads(manifests)) {
      const selector = (w.spec as { selector?: { matchLabels: Record<string, string> } }).selector;
      if (selector) expect(selects(selector.matchLabels, labelsOf(w)), `${w.metadata.name} selects its own pods`).toBe(true);
      for (const volume of volumesOf(w)) {
        if (volume.configMap) find(manifests, 'ConfigMap', volume.configMap.name);
        if (volume.persistentVolumeClaim) find(manifests, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
      }
      // Every secretKeyRef has its key in the Secret the overlay's instructions make.
      for (const c of containersOf(w)) expect(() => resolveEnv(c, secrets)).not.toThrow();
    }
    for (const service of manifests.filter((m) => m.kind === 'Service')) {
      const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
      const pods = workloads(manifests).filter((w) => selects(spec.selector, labelsOf(w)));
      expect(
        pods.map((p) => p.metadata.name),
        `Service ${service.metadata.name}`,
      ).toHaveLength(1);
      const ports = pods.flatMap(containersOf).flatMap((c) => (c.ports ?? []) as Port[]);
      for (const { targetPort } of spec.ports)
        expect(
          ports.map((p) => p.name),
          `${service.metadata.name} → ${targetPort}`,
        ).toContain(targetPort);
    }
    for (const pdb of manifests.filter((m) => m.kind === 'PodDisruptionBudget')) {
      const { matchLabels } = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector;
      expect(
        workloads(manifests).filter((w) => selects(matchLabels, labelsOf(w))),
        pdb.metadata.name,
      ).toHaveLength(1);
    }
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'shop-server').spec as { scaleTargetRef: { kind: string; name: string } };
    find(manifests, hpa.scaleTargetRef.kind, hpa.scaleTargetRef.name);
  });

  it.each(OVERLAYS)('%s: every container has resource requests and a memory limit', (overlay) => {
    for (const c of workloads(built[overlay]).flatMap(containersOf)) {
      const resources = c.resources as { requests?: { cpu?: string; memory?: string }; limits?: { memory?: string } };
      expect(resources.requests?.cpu && resources.requests.memory && resources.limits?.memory, c.name).toBeTruthy();
    }
  });
});

describe('the instances (Deployment shop-server)', () => {
  it.each(OVERLAYS)("%s: probe the server's /health and /ready on the port it listens on", (overlay) => {
    const server = container(find(built[overlay], 'Deployment', 'shop-server'), 'server');
    const env = resolveEnv(server, overlaySecrets(overlay).data);
    const http = ((server.ports ?? []) as Port[]).find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(Number(env.PORT));
    const probes = server as unknown as Record<'startupProbe' | 'livenessProbe' | 'readinessProbe', Probe>;
    expect(probes.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(probes.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    // /ready is the one that turns 503 while draining or while PostgreSQL or Redis is down.
    expect(probes.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(env.HOST).toBe('0.0.0.0');
  });

  it.each(OVERLAYS)('%s: preStop, then the drain SIGTERM starts, fit the grace period before SIGKILL', (overlay) => {
    const deployment = find(built[overlay], 'Deployment', 'shop-server');
    const preStop = (container(deployment, 'server').lifecycle as { preStop: Probe }).preStop;
    expect(preStop.exec?.command.slice(0, 1)).toEqual(['sleep']);
    const preStopS = Number(preStop.exec?.command[1]);
    expect(preStopS).toBeGreaterThanOrEqual(3);
    const grace = podSpecOf(deployment)?.terminationGracePeriodSeconds as number;
    expect(grace).toBeGreaterThanOrEqual(preStopS + SHUTDOWN_LIMIT_MS / 1000 + 5);
  });

  it.each(OVERLAYS)('%s: the autoscaler owns the count; a disruption takes one pod of at least two', (overlay) => {
    const manifests = built[overlay];
    expect(find(manifests, 'Deployment', 'shop-server').spec).not.toHaveProperty('replicas');
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'shop-server').spec as { minReplicas: number; maxReplicas: number };
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    expect(find(manifests, 'PodDisruptionBudget', 'shop-server').spec).toMatchObject({ maxUnavailable: 1 });
  });

  it.each(OVERLAYS)('%s: every variable the server requires in production is set, the secrets from the Secret', (overlay) => {
    const server = container(find(built[overlay], 'Deployment', 'shop-server'), 'server');
    const secrets = overlaySecrets(overlay).data;
    // The production overlay's example has placeholders: fill in what an operator would.
    const filled = { 'shop-secrets': { ...secrets['shop-secrets'], SESSION_SECRET: 'k8s-test-session-secret-0123456789abcdef' } };
    const env = loadEnv(resolveEnv(server, filled));
    expect(env).toMatchObject({ NODE_ENV: 'production', WEB_DIST: '', SEED_PRODUCTS: 0, TRUST_PROXY: true, INSTANCE_NAME: 'shop-pod-0' });
    // Several instances share live events and rate limits only through Redis: required here.
    expect(env.REDIS).toMatchObject({ url: expect.stringMatching(/^rediss?:\/\//) });
    for (const name of ['SESSION_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
      const variable = (server.env as { name: string; valueFrom?: { secretKeyRef?: object } }[]).find((v) => v.name === name);
      expect(variable?.valueFrom?.secretKeyRef, `${name} from a Secret`).toBeTruthy();
    }
    // Without the Secret's values, the server refuses to start.
    expect(() => loadEnv(resolveEnv(server, { 'shop-secrets': { ...filled['shop-secrets'], SESSION_SECRET: '' } }))).toThrow(
      /SESSION_SECRET/,
    );
  });

  it("runs the image's command: node apps/server/src/main.ts from the repository root, with the harnesses' Node flags", () => {
    const server = container(find(built.base, 'Deployment', 'shop-server'), 'server');
    expect(server.command).toBeUndefined();
    const image = imageOf(server);
    expect(commandOf(server, {})).toEqual(['node', ...SERVER_NODE_FLAGS, 'apps/server/src/main.ts']);
    expect(image.workdir).toBe('/app');
    expect(readFileSync(join(repoRoot, 'apps/server/src/main.ts'), 'utf8')).toContain('app.server.listen(');
  });
});

describe('the migration Job and the backup CronJob', () => {
  const scriptOf = (name: string) => (scripts[name] ?? '').split(' ');

  it("the Job runs `pnpm db:migrate` against the Secret's DATABASE_URL, in production mode", () => {
    const migrate = container(find(built.base, 'Job', 'shop-migrate'), 'migrate');
    expect(commandOf(migrate, {})).toEqual(scriptOf('db:migrate'));
    const env = resolveEnv(migrate, overlaySecrets('small').data);
    expect(env).toMatchObject({ NODE_ENV: 'production', DATABASE_URL: expect.stringMatching(/^postgres:\/\//) });
  });

  it('the CronJob runs `pnpm db:backup` daily onto its volume, keeping the newest BACKUP_KEEP', () => {
    const cronJob = find(built.base, 'CronJob', 'shop-backup');
    const spec = cronJob.spec as { schedule: string; concurrencyPolicy: string };
    expect(spec.schedule).toMatch(/^\d{1,2} \d{1,2} \* \* \*$/);
    expect(spec.concurrencyPolicy).toBe('Forbid');
    const backup = container(cronJob, 'backup');
    expect(commandOf(backup, {})).toEqual(scriptOf('db:backup'));
    const env = resolveEnv(backup, overlaySecrets('small').data);
    expect(Number(env.BACKUP_KEEP)).toBeGreaterThanOrEqual(7);
    expect(volumeAt(cronJob, backup, env.BACKUP_DIR ?? '')?.persistentVolumeClaim).toBeTruthy();
    // A folder below the mount, which db:backup keeps 0700: the kubelet opens the volume's root to
    // fsGroup, and with OnRootMismatch only that root, once.
    expect(mountOf(backup, env.BACKUP_DIR ?? '')?.mountPath).not.toBe(env.BACKUP_DIR);
    expect(podSpecOf(cronJob)?.securityContext).toMatchObject({ fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch' });
    // Its image is the server's with pg_dump: the Dockerfile's backup stage.
    expect(stageOf(backup.image)).toBe('backup');
    const stage = dockerfileStages().get('backup')?.join('\n') ?? '';
    expect(stage).toMatch(/^FROM server AS backup$/m);
    expect(stage).toMatch(/apt-get install .*postgresql-client-\$\{PG_MAJOR\}/);
    expect(stage).toMatch(/USER node(?![\s\S]*USER root)/);
  });

  it('every shop image is built by a stage of the Dockerfile; production pins them to a registry', () => {
    const stages = dockerfileStages();
    for (const tree of trees) {
      for (const c of workloads(built[tree])
        .flatMap(containersOf)
        .filter((c) => c.image.includes('shop-'))) {
        expect(stages.has(stageOf(c.image)), c.image).toBe(true);
      }
    }
    for (const c of workloads(built.production).flatMap(containersOf))
      expect(c.image).toMatch(/^[\w.-]+\.[\w.-]+(:\d+)?\/.+:(?!latest$)[\w.-]+$/);
  });
});

describe('Nginx (Deployment shop-nginx)', () => {
  const variants = { base: 'base', small: 'base', production: 'production' } as const;

  it.each(trees)('%s: serves the configuration the renderer writes, mounted where its command reads it', (tree) => {
    const manifests = built[tree];
    const config = (find(manifests, 'ConfigMap', 'shop-nginx').data as Record<string, string>)['nginx.conf'];
    expect(config).toBe(renderK8sConfig(variants[tree]));
    const deployment = find(manifests, 'Deployment', 'shop-nginx');
    const nginx = container(deployment, 'nginx');
    const command = commandOf(nginx, {}).join(' ');
    expect(command).toContain(`mkdir -p ${k8sNginxFolders().join(' ')} && exec nginx -c /etc/nginx/nginx.conf`);
    const mounts = nginx.volumeMounts as { name: string; mountPath: string; subPath?: string }[];
    expect(mounts).toContainEqual({ name: 'config', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true });
    expect(volumeAt(deployment, nginx, K8S_NGINX.prefix)?.emptyDir).toBeTruthy();
    // A new configuration changes the pod template, so the pods roll.
    const checksum = /value: (\w+)/.exec(
      k8sNginxFiles()[tree === 'production' ? 'overlays/production/nginx-config-checksum.yaml' : 'base/nginx-config-checksum.yaml'] ?? '',
    )?.[1];
    expect((deployment.spec as { template: Manifest }).template.metadata.annotations?.['checksum/nginx-config']).toBe(checksum);
    // No root master: the pod runs as nginx's user, so the config has no `user` directive.
    expect(podSpecOf(deployment)?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101 });
  });

  it.each(trees)('%s: listens on its container ports and forwards to the instances through their Service', (tree) => {
    const manifests = built[tree];
    const ports = (container(find(manifests, 'Deployment', 'shop-nginx'), 'nginx').ports as Port[]).map((p) => p.containerPort);
    expect(ports).toContain(K8S_NGINX.httpPort);
    const [upstream] = K8S_NGINX.upstreams;
    const service = find(manifests, 'Service', upstream?.host ?? '').spec as {
      selector: Record<string, string>;
      ports: { port: number }[];
    };
    expect(service.ports.map((p) => p.port)).toContain(upstream?.port);
    expect(selects(service.selector, labelsOf(find(manifests, 'Deployment', 'shop-server')))).toBe(true);
    if (tree !== 'production') return;
    expect(ports).toContain(K8S_TLS.port);
    const nginx = container(find(manifests, 'Deployment', 'shop-nginx'), 'nginx');
    expect(volumeAt(find(manifests, 'Deployment', 'shop-nginx'), nginx, dirname(K8S_TLS.certificate))?.secret?.secretName).toBe('shop-tls');
    // Plain HTTP only redirects, to port 443 of the pod's address, which the kubelet would follow.
    expect((nginx.readinessProbe as Probe & { httpGet: { scheme?: string } }).httpGet).toEqual({
      path: '/',
      port: 'https',
      scheme: 'HTTPS',
    });
    // Published with the client's address kept: Nginx's per-IP limits need it.
    expect(find(manifests, 'Service', 'shop-nginx').spec).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      ports: expect.arrayContaining([{ name: 'https', port: 443, targetPort: 'https' }]),
    });
  });
});

describe('PostgreSQL and Redis', () => {
  it("small: its own, at the addresses and with the passwords the Secret's URLs carry", () => {
    const manifests = built.small;
    const secrets = overlaySecrets('small').data;
    const values = secrets['shop-secrets'] ?? {};
    const database = new URL(values.DATABASE_URL ?? '');
    const redisUrl = new URL(values.REDIS_URL ?? '');
    const postgres = container(find(manifests, 'StatefulSet', 'shop-postgres'), 'postgres');
    expect(resolveEnv(postgres, secrets).POSTGRES_PASSWORD).toBe(database.password);
    const redis = container(find(manifests, 'StatefulSet', 'shop-redis'), 'redis');
    const args = commandOf(redis, resolveEnv(redis, secrets));
    expect(args[args.indexOf('--requirepass') + 1]).toBe(decodeURIComponent(redisUrl.password));
    for (const [url, service] of [
      [database, 'shop-postgres'],
      [redisUrl, 'shop-redis'],
    ] as const) {
      expect(url.hostname).toBe(service);
      const ports = (find(manifests, 'Service', service).spec as { ports: { port: number }[] }).ports.map((p) => p.port);
      expect(ports).toContain(Number(url.port));
    }
  });

  it('small: every instance at full scale, surging, plus both Jobs, stays within max_connections', () => {
    const manifests = built.small;
    const hpa = find(manifests, 'HorizontalPodAutoscaler', 'shop-server').spec as { maxReplicas: number };
    const deployment = find(manifests, 'Deployment', 'shop-server');
    const surge = (deployment.spec as { strategy: { rollingUpdate: { maxSurge: number } } }).strategy.rollingUpdate.maxSurge;
    const pool = Number(resolveEnv(container(deployment, 'server'), overlaySecrets('small').data).DB_POOL_MAX);
    const postgres = container(find(manifests, 'StatefulSet', 'shop-postgres'), 'postgres');
    const maxConnections = Number(/max_connections=(\d+)/.exec(commandOf(postgres, {}).join(' '))?.[1]);
    // A migration or a backup holds two connections at most (the migration lock and one statement).
    expect((hpa.maxReplicas + surge) * pool + 2 * 2).toBeLessThanOrEqual(maxConnections - 3);
  });

  it('production: none of its own; the instances reach the managed ones through the Secret', () => {
    const kinds = workloads(built.production).map((w) => w.metadata.name);
    expect(kinds.sort()).toEqual(['shop-backup', 'shop-migrate', 'shop-nginx', 'shop-server']);
    expect(Object.keys(overlaySecrets('production').data['shop-secrets'] ?? {}).sort()).toEqual([
      'DATABASE_URL',
      'REDIS_URL',
      'SESSION_SECRET',
    ]);
  });
});
