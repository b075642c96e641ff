// `pnpm k8s:render`: rewrites the Nginx ConfigMap and its patches under apps/server/deploy/k8s.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { k8sDir, k8sNginxFiles } from './k8s.ts';

for (const [path, text] of Object.entries(k8sNginxFiles())) {
  await writeFile(join(k8sDir, path), text);
  console.log(`wrote ${join(k8sDir, path)}`);
}
