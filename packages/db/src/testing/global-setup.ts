// Vitest global setup shared by every package whose tests need PostgreSQL.
import type { TestProject } from 'vitest/node';
import { startTestServer } from './server.ts';
import './index.ts';

const FALLBACK_NOTE = {
  private: 'no PostgreSQL answered locally: the tests run on a private server started from Debian binaries',
  embedded:
    'the tests run on embedded PostgreSQL (TEST_PG=embedded, or no local server and no Debian server binaries: apt-get install ' +
    'postgresql); the backup tests fail unless a pg_dump of its major version or newer is found (PG_BIN)',
} as const;

export default async function setup(project: TestProject) {
  const server = await startTestServer();
  if (server.kind === 'private' || server.kind === 'embedded') console.warn(`[test PostgreSQL] ${FALLBACK_NOTE[server.kind]}`);
  project.provide('pgAdminUrl', server.adminUrl);
  return server.stop;
}
