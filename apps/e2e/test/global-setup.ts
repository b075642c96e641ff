// Builds the SPA once for every e2e file, into a folder of its own that is removed afterwards.
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { buildWeb } from '../src/processes.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The fresh SPA build the servers under test serve. */
    webDist: string;
  }
}

export default async function setup(project: TestProject) {
  const webDist = await buildWeb();
  project.provide('webDist', webDist);
  return () => rm(webDist, { recursive: true, force: true });
}
