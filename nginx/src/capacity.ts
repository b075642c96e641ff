// How many connections Nginx's workers may hold, sized for a number of WebSockets: each proxied
// socket holds two (the browser's and the one to the instance), and a worker can hold no more
// connections than the open files its process may have.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** The sockets the cluster is sized for by default (issue 16's target, with HTTP beside them). */
export const DEFAULT_SOCKETS = 20_000;
/** Open files a worker keeps for other things than connections: logs, cache and temp files. */
const RESERVE = 512;
/** What a container's Nginx may assume (Docker's and Kubernetes' default hard limit is far above it). */
export const CONTAINER_OPEN_FILES = 65_536;

export interface WorkerCapacity {
  workerProcesses: number | 'auto';
  workerConnections: number;
  /** worker_rlimit_nofile: a root master raises each worker's limit to this before dropping privileges. */
  openFiles: number;
}

/**
 * Workers and connections for `sockets` proxied WebSockets (plus a tenth for HTTP) when each
 * worker may open `openFiles` files: at least one worker per core ('auto'), more when one core's
 * worth cannot hold them all.
 */
export function workerCapacity({
  sockets = DEFAULT_SOCKETS,
  openFiles,
  cores,
}: {
  sockets?: number;
  openFiles: number;
  /** Known on the machine Nginx runs on; unknown (a container) keeps 'auto'. */
  cores?: number;
}): WorkerCapacity {
  if (!Number.isInteger(openFiles) || openFiles < 2 * RESERVE) throw new Error(`too few open files for nginx: ${openFiles}`);
  const workerConnections = openFiles - RESERVE;
  const needed = Math.ceil(2 * sockets * 1.1);
  const workers = Math.ceil(needed / workerConnections);
  const workerProcesses = cores === undefined ? (workers > 1 ? workers : 'auto') : Math.max(cores, workers);
  return { workerProcesses, workerConnections, openFiles };
}

/**
 * This machine's hard limit on open files per process (Linux /proc; elsewhere a conservative
 * 4096): the most a root master can give its workers without privileges it rarely has.
 */
export function hardOpenFilesLimit(limits = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const hard = line?.trim().split(/\s+/)[4];
    if (hard === 'unlimited') return 1_048_576;
    const n = Number(hard);
    return Number.isInteger(n) && n > 0 ? n : 4_096;
  } catch {
    return 4_096;
  }
}

/** Capacity on this machine, for `sockets`. */
export const localWorkerCapacity = (sockets = DEFAULT_SOCKETS): WorkerCapacity =>
  workerCapacity({ sockets, openFiles: hardOpenFilesLimit(), cores: availableParallelism() });
