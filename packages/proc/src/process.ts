import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

export interface SpawnTrackedOptions extends SpawnOptions {
  /**
   * Sent to the child should this process exit without stopping it (a crash, process.exit).
   * SIGKILL by default: nothing started here may outlive its parent. nginx takes SIGTERM, which
   * its master passes on to its workers.
   */
  onParentExit?: NodeJS.Signals;
}

const running = new Map<ChildProcess, NodeJS.Signals>();
const spawnErrors = new WeakMap<ChildProcess, Error>();

// Exit handlers cannot wait: each child gets its signal, and the kernel does the rest.
function killOrphans(): void {
  for (const [child, signal] of running) child.kill(signal);
}

/** Registers a child to be stopped with this process (and by stopAll). */
export function track(child: ChildProcess, onParentExit: NodeJS.Signals = 'SIGKILL'): ChildProcess {
  if (running.size === 0) process.once('exit', killOrphans);
  running.set(child, onParentExit);
  // A failed spawn (ENOENT) emits 'error' and maybe never 'exit'; unhandled, it would crash us.
  child.once('error', (error) => {
    spawnErrors.set(child, error);
    forget(child);
  });
  child.once('exit', () => forget(child));
  return child;
}

function forget(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) process.off('exit', killOrphans);
}

/** `spawn`, tracked: the child is stopped when this process exits, even on a crash. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  { onParentExit, ...options }: SpawnTrackedOptions = {},
): ChildProcess {
  return track(spawn(command, args, options), onParentExit);
}

/** Why the child could not be started, when it could not (e.g. `spawn redis-server ENOENT`). */
export function spawnError(child: ChildProcess): Error | undefined {
  return spawnErrors.get(child);
}

export const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/**
 * Stops a child by PID: `signal` (SIGTERM lets the shop drain), then SIGKILL if it is still running
 * after `graceMs`. Resolves with its exit code (null when a signal ended it) once it has exited.
 */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
  if (child.pid === undefined || hasExited(child)) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const forced = signal === 'SIGKILL' ? undefined : setTimeout(() => hasExited(child) || child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(forced);
  }
}

/** Stops every tracked child still running (SIGKILL by default: for clean-up after tests). */
export async function stopAll(signal: NodeJS.Signals = 'SIGKILL', graceMs?: number): Promise<void> {
  await Promise.all([...running.keys()].map((child) => stop(child, signal, graceMs)));
}
