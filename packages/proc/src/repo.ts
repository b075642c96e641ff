import { fileURLToPath } from 'node:url';

/** The repository's root folder, with a trailing slash: what every script and harness resolves paths from. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
