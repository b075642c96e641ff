// The part of kustomize that apps/server/deploy/k8s uses, so its tests run where kubectl is not
// installed: `resources` (files and other kustomizations), `patches` as JSON 6902 with a kind and
// name target (applied by fast-json-patch), `images` and `namespace`. Any other field is refused,
// so a manifest never depends on something these tests would silently skip.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { parse, parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  patches?: { path: string; target: { kind: string; name: string } }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  namespace?: string;
}

const SUPPORTED = ['apiVersion', 'kind', 'namespace', 'resources', 'patches', 'images'];

/** kind/name: what kustomize calls a resource's id (within one namespace). */
export const idOf = (m: Manifest): string => `${m.kind}/${m.metadata.name}`;

/** The YAML documents of a file; comments and empty documents are dropped. */
export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

/** `kubectl kustomize <dir>` for the fields above, in the order the resources are listed. */
export function kustomizeBuild(dir: string): Manifest[] {
  const file = join(dir, 'kustomization.yaml');
  const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED.includes(key));
  if (unsupported.length) throw new Error(`${file}: ${unsupported.join(', ')} not supported here (only ${SUPPORTED.join(', ')})`);

  const manifests: Manifest[] = [];
  for (const entry of kustomization.resources ?? []) {
    const path = resolve(dir, entry);
    for (const manifest of existsSync(join(path, 'kustomization.yaml')) ? kustomizeBuild(path) : readManifests(path)) {
      if (manifests.some((m) => idOf(m) === idOf(manifest))) throw new Error(`${file}: ${idOf(manifest)} is defined twice`);
      manifests.push(manifest);
    }
  }
  for (const { path, target, ...rest } of kustomization.patches ?? []) {
    if (Object.keys(rest).length || Object.keys(target).some((key) => key !== 'kind' && key !== 'name')) {
      throw new Error(`${file}: a patch has a path and a target of kind and name only`);
    }
    const at = manifests.findIndex((m) => m.kind === target.kind && m.metadata.name === target.name);
    const manifest = manifests[at];
    if (!manifest) throw new Error(`${file}: patch ${path} targets ${target.kind}/${target.name}, which is not there`);
    const ops = parse(readFileSync(resolve(dir, path), 'utf8')) as Operation[];
    if (!Array.isArray(ops)) throw new Error(`${file}: patch ${path} is not a JSON 6902 list of operations`);
    // Validated: an op on a missing path, or a failed `test`, throws instead of doing nothing.
    manifests[at] = fastJsonPatch.applyPatch(structuredClone(manifest), ops, true, false).newDocument;
  }
  for (const image of kustomization.images ?? []) {
    for (const container of manifests.flatMap(containersOf)) {
      const [name, tag] = splitImage(container.image);
      if (name === image.name) container.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
  if (kustomization.namespace) for (const m of manifests) m.metadata.namespace = kustomization.namespace;
  return manifests;
}

export interface Container {
  name: string;
  image: string;
  [field: string]: unknown;
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  [field: string]: unknown;
}

/** The pod spec of a workload (Deployment, StatefulSet, Job, CronJob), else undefined. */
export function podSpecOf(m: Manifest): PodSpec | undefined {
  const spec = m.spec as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

export const containersOf = (m: Manifest): Container[] => {
  const pod = podSpecOf(m);
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
};

/** `registry:5000/shop/server:1.0` → [`registry:5000/shop/server`, `1.0`] (a port is not a tag). */
export function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}
