// Vitest global setup shared by every package whose tests need PostgreSQL.
import type { TestProject } from 'vitest/node';
import { startTestServer } from './server.ts';
import './index.ts';

export default async function setup(project: TestProject) {
  const server = await startTestServer();
  if (server.note) console.warn(`[test PostgreSQL] ${server.note}`);
  project.provide('pgAdminUrl', server.adminUrl);
  return server.stop;
}
