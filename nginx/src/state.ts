// The running cluster's state file, in its prefix dir: how `pnpm cluster:restart` finds the
// supervisor (by PID) and learns when the rolling restart it asked for has finished.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '@shop/proc';

/** The cluster's prefix dir: CLUSTER_DIR, else .data/cluster in the repository. */
export const clusterDir = (env: NodeJS.ProcessEnv) => env.CLUSTER_DIR?.trim() || join(repoRoot, '.data', 'cluster');

export interface ClusterState {
  /** The supervisor (`pnpm cluster`), parent of every instance and of nginx. */
  pid: number;
  url: string;
  instances: { name: string; port: number }[];
  restarts: { completed: number; lastError: string | null; running: boolean };
}

export const statePath = (dir: string) => join(dir, 'cluster.json');

export async function readState(dir: string): Promise<ClusterState | null> {
  try {
    return JSON.parse(await readFile(statePath(dir), 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

/** Written whole and renamed into place, so a reader never sees half a file. */
export async function writeState(dir: string, state: ClusterState): Promise<void> {
  const path = statePath(dir);
  await writeFile(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Removed when the supervisor stops: no file, no cluster. */
export async function removeState(dir: string): Promise<void> {
  await rm(statePath(dir), { force: true });
}

/** Whether a process `pid` runs. Only a positive pid names one process: 0 and below name process groups (ours for 0). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
