// Builds the SPA when missing, names the summary file every test file appends to, and prints the
// table when the run ends.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureWebBuild } from '@shop/nginx';
import type { TestProject } from 'vitest/node';
import { FUZZ_SEED, LONG } from './config.ts';
import { table } from './summary.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    summaryFile: string;
    fuzzSeed: number;
  }
}

export default async function setup(project: TestProject) {
  // The cluster's Nginx serves apps/web/dist: on a fresh clone nothing may have built it yet (the
  // suites that do run beside this one, in any order).
  await ensureWebBuild();
  const file = join(tmpdir(), `shop-resilience-${process.pid}.jsonl`);
  rmSync(file, { force: true });
  project.provide('summaryFile', file);
  // One seed for the whole run, so FUZZ_SEED=<printed value> replays it.
  project.provide('fuzzSeed', FUZZ_SEED);
  console.log(`[resilience] ${LONG ? 'long' : 'short'} form, FUZZ_SEED=${FUZZ_SEED}`);
  return () => {
    console.log(`\nResilience summary (${LONG ? 'long' : 'short'} form, FUZZ_SEED=${FUZZ_SEED})\n${table(file)}\n`);
    rmSync(file, { force: true });
  };
}
