import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild, splitImage } from './kustomize.ts';

let root: string;
/** Writes `files` (path → text) under a fresh folder; returns it. */
async function tree(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: registry:5000/web:1.0
          env:
            - name: A
              value: "1"
---
# a comment-only document is not a resource
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: ClusterIP
`;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shop-kustomize-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('kustomizeBuild', () => {
  it('builds an overlay over its base: resources in order, JSON 6902 patches, images, namespace', async () => {
    const dir = await tree('ok', {
      'base/kustomization.yaml': 'resources:\n  - web.yaml\n',
      'base/web.yaml': deployment,
      'overlay/kustomization.yaml': `namespace: shop
resources:
  - ../base
  - extra.yaml
patches:
  - path: env.yaml
    target: { kind: Deployment, name: web }
images:
  - name: registry:5000/web
    newTag: "2.0"
`,
      'overlay/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata: {}\n',
      'overlay/env.yaml': `- op: test
  path: /spec/template/spec/containers/0/env/0/name
  value: A
- op: replace
  path: /spec/template/spec/containers/0/env/0/value
  value: "2"
`,
    });
    const built = kustomizeBuild(join(dir, 'overlay'));
    expect(built.map((m) => `${m.kind}/${m.metadata.name}@${m.metadata.namespace}`)).toEqual([
      'Deployment/web@shop',
      'Service/web@shop',
      'ConfigMap/extra@shop',
    ]);
    expect(built[0]?.spec).toEqual({
      template: { spec: { containers: [{ name: 'web', image: 'registry:5000/web:2.0', env: [{ name: 'A', value: '2' }] }] } },
    });
    // The base's files are not changed by building an overlay.
    expect(kustomizeBuild(join(dir, 'base'))[0]?.spec).toMatchObject({
      template: { spec: { containers: [{ image: 'registry:5000/web:1.0', env: [{ name: 'A', value: '1' }] }] } },
    });
  });

  it('refuses what it would otherwise get wrong', async () => {
    const base = { 'kustomization.yaml': 'resources:\n  - web.yaml\n', 'web.yaml': deployment };
    const unsupported = await tree('unsupported', { ...base, 'kustomization.yaml': 'resources: [web.yaml]\nconfigMapGenerator: []\n' });
    expect(() => kustomizeBuild(unsupported)).toThrow(/configMapGenerator not supported/);

    const missing = await tree('missing', {
      ...base,
      'kustomization.yaml': 'resources: [web.yaml]\npatches:\n  - path: p.yaml\n    target: { kind: Deployment, name: api }\n',
      'p.yaml': '[]\n',
    });
    expect(() => kustomizeBuild(missing)).toThrow(/targets Deployment\/api, which is not there/);

    // An env list reordered under a patch: the guarding `test` fails instead of changing another variable.
    const moved = await tree('moved', {
      ...base,
      'kustomization.yaml': 'resources: [web.yaml]\npatches:\n  - path: p.yaml\n    target: { kind: Deployment, name: web }\n',
      'p.yaml': '- op: test\n  path: /spec/template/spec/containers/0/env/0/name\n  value: B\n',
    });
    expect(() => kustomizeBuild(moved)).toThrow(/Test operation failed/);

    const noPath = await tree('no-path', {
      ...base,
      'kustomization.yaml': 'resources: [web.yaml]\npatches:\n  - path: p.yaml\n    target: { kind: Service, name: web }\n',
      'p.yaml': '- op: replace\n  path: /spec/externalTrafficPolicy\n  value: Local\n',
    });
    expect(() => kustomizeBuild(noPath)).toThrow(/Cannot perform the operation at a path that does not exist/);

    const twice = await tree('twice', { ...base, 'kustomization.yaml': 'resources: [web.yaml, web.yaml]\n' });
    expect(() => kustomizeBuild(twice)).toThrow(/Deployment\/web is defined twice/);
  });

  it('splits an image reference at its tag, not at a registry port', () => {
    expect(splitImage('registry:5000/shop/server:1.0')).toEqual(['registry:5000/shop/server', '1.0']);
    expect(splitImage('registry:5000/shop/server')).toEqual(['registry:5000/shop/server', undefined]);
    expect(splitImage('shop-server:latest')).toEqual(['shop-server', 'latest']);
  });
});
