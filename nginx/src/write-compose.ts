// `pnpm nginx:compose`: rewrites apps/server/deploy/nginx.compose.conf from the renderer.
import { writeFile } from 'node:fs/promises';
import { composeConfigFile, renderComposeConfig } from './compose.ts';

await writeFile(composeConfigFile, renderComposeConfig());
console.log(`wrote ${composeConfigFile}`);
