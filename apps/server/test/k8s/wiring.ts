// What the Kubernetes tests read from the manifests: the rendered base and overlays, the Secrets
// each overlay expects, a container's environment and command as the kubelet would resolve them,
// and each manifest's schema from kubernetes-models.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@shop/proc';
import * as models from 'kubernetes-models';
import { parse } from 'yaml';
import { dockerfileStages, imageConfig } from '../dockerfile.ts';
import { type Container, containersOf, kustomizeBuild, type Manifest, podSpecOf, splitImage } from './kustomize.ts';

export const k8sDir = join(repoRoot, 'apps/server/deploy/k8s');
export const TREES = { base: 'base', small: 'overlays/small', production: 'overlays/production' } as const;
export type Tree = keyof typeof TREES;
export const OVERLAYS = ['small', 'production'] as const;

export const build = (tree: Tree): Manifest[] => kustomizeBuild(join(k8sDir, TREES[tree]));

/** The one manifest of that kind and name; throws naming what is missing. */
export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
}

export const container = (m: Manifest, name: string): Container => {
  const found = containersOf(m).find((c) => c.name === name);
  if (!found) throw new Error(`${m.kind}/${m.metadata.name} has no container ${name}`);
  return found;
};

/**
 * The Secrets an overlay's README command makes, by name and key: the small overlay's from running
 * its secrets.sh, production's from its secrets.example.env (values a test fills in).
 */
export function overlaySecrets(overlay: (typeof OVERLAYS)[number]): { manifest?: Manifest; data: Record<string, Record<string, string>> } {
  if (overlay === 'small') {
    const manifest = parse(execFileSync('sh', [join(k8sDir, TREES.small, 'secrets.sh')], { encoding: 'utf8' })) as Manifest;
    return { manifest, data: { [manifest.metadata.name]: manifest.stringData as Record<string, string> } };
  }
  const lines = readFileSync(join(k8sDir, TREES.production, 'secrets.example.env'), 'utf8').split('\n');
  const pairs = lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
  return { data: { 'shop-secrets': Object.fromEntries(pairs) } };
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}

/** `$(NAME)` of an earlier variable replaced as the kubelet does (`$$` is a literal `$`; unknown names stay). */
export const expand = (text: string, env: Record<string, string>): string =>
  text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) => (name === undefined ? '$' : (env[name] ?? whole)));

/** A container's environment over its image's, with Secrets from `secrets` (name → key → value). */
export function resolveEnv(
  c: Container,
  secrets: Record<string, Record<string, string>>,
  pod = { name: 'shop-pod-0' },
): Record<string, string> {
  const env = { ...imageOf(c).env };
  for (const variable of (c.env ?? []) as EnvVar[]) {
    const { secretKeyRef, fieldRef } = variable.valueFrom ?? {};
    if (variable.value !== undefined) env[variable.name] = expand(variable.value, env);
    else if (secretKeyRef) {
      const value = secrets[secretKeyRef.name]?.[secretKeyRef.key];
      if (value === undefined) throw new Error(`${c.name}: ${variable.name} needs Secret ${secretKeyRef.name} key ${secretKeyRef.key}`);
      env[variable.name] = value;
    } else if (fieldRef?.fieldPath === 'metadata.name') env[variable.name] = pod.name;
    else throw new Error(`${c.name}: ${variable.name} has a source these tests do not resolve`);
  }
  return env;
}

/** The Dockerfile stage an image is built from: shop-<stage>, by any registry and tag. */
export function stageOf(image: string): string {
  const name = splitImage(image)[0].split('/').at(-1) ?? '';
  if (!name.startsWith('shop-')) throw new Error(`${image} is not one of the shop's images`);
  return name.slice('shop-'.length);
}

/** The image config of a shop image (its ENV, WORKDIR, CMD); third-party images have none here. */
export function imageOf(c: Container): { env: Record<string, string>; workdir: string; cmd: string[] } {
  if (!splitImage(c.image)[0].split('/').at(-1)?.startsWith('shop-')) return { env: {}, workdir: '/', cmd: [] };
  return imageConfig(dockerfileStages(), stageOf(c.image));
}

/** What the container runs: its command (or the image's CMD) and args, with `$(VAR)` expanded. */
export function commandOf(c: Container, env: Record<string, string>): string[] {
  const command = (c.command as string[] | undefined) ?? imageOf(c).cmd;
  return [...command, ...((c.args as string[] | undefined) ?? [])].map((part) => expand(part, env));
}

type ModelClass = new (data: object) => { validate(): void };

/** kubernetes-models' class for an apiVersion and kind (`networking.k8s.io/v1` → networkingK8sIo.v1). */
export function modelFor(apiVersion: string, kind: string): ModelClass {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  const groupKey = group === '' ? null : group.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
  const byGroup = models as unknown as Record<string, Record<string, Record<string, ModelClass>>>;
  const versions = groupKey === null ? { [version]: byGroup[version] as unknown as Record<string, ModelClass> } : byGroup[groupKey];
  const model = versions?.[version]?.[kind];
  if (!model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return model;
}

/** Validates against the Kubernetes OpenAPI schema; throws with the schema's complaints. */
export function validateManifest(m: Manifest): void {
  const { apiVersion, kind, ...data } = m;
  new (modelFor(apiVersion, kind))(data).validate();
}

export interface Volume {
  name: string;
  configMap?: { name: string };
  secret?: { secretName: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}

export const volumesOf = (m: Manifest): Volume[] => (podSpecOf(m)?.volumes ?? []) as Volume[];

/** The container's mount that holds `path`: the one at it, or at the nearest folder above it. */
export function mountOf(c: Container, path: string): { name: string; mountPath: string } | undefined {
  const mounts = (c.volumeMounts ?? []) as { name: string; mountPath: string }[];
  return mounts
    .filter((v) => path === v.mountPath || path.startsWith(`${v.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** The volume holding `path` in the container (see mountOf), else undefined. */
export function volumeAt(m: Manifest, c: Container, path: string): Volume | undefined {
  const mount = mountOf(c, path);
  return volumesOf(m).find((v) => v.name === mount?.name);
}
