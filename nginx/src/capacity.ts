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
  workerProcesses: number;
  workerConnections: number;
  /** worker_rlimit_nofile: a root master raises each worker's limit to this before dropping privileges. */
  openFiles: number;
}

/** Connections a worker takes beyond its share: the kernel spreads sockets over workers by hash (reuseport), not evenly. */
const IMBALANCE = 1.25;
/** Cores assumed where they are not known when rendering (a container's config is rendered elsewhere). */
const CONTAINER_CORES = 2;

/**
 * Workers and connections for `sockets` proxied WebSockets (plus a tenth for HTTP) when each
 * worker may open `openFiles` files: one worker per core, more when that many cannot hold them
 * all. Each worker gets its share and no more (nginx allocates every connection slot at start:
 * ~0.4 KB each, so slots for a 524,288-file limit would cost 180 MB per idle worker), and an
 * open-file limit to match.
 */
export function workerCapacity({
  sockets = DEFAULT_SOCKETS,
  openFiles,
  cores = CONTAINER_CORES,
}: {
  sockets?: number;
  /** The most a worker may open (the hard limit a root master can raise it to). */
  openFiles: number;
  cores?: number;
}): WorkerCapacity {
  if (!Number.isInteger(openFiles) || openFiles < 2 * RESERVE) throw new Error(`too few open files for nginx: ${openFiles}`);
  const most = openFiles - RESERVE;
  const needed = Math.ceil(2 * sockets * 1.1);
  let workerProcesses = Math.max(cores, Math.ceil(needed / most));
  // The hash's unevenness on top; a worker more when that no longer fits.
  while (Math.ceil((needed / workerProcesses) * IMBALANCE) > most) workerProcesses++;
  const workerConnections = Math.min(most, Math.max(1024, Math.ceil((needed / workerProcesses) * IMBALANCE)));
  return { workerProcesses, workerConnections, openFiles: workerConnections + RESERVE };
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
