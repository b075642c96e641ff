import type { ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { hasExited, spawnError } from './process.ts';

export interface WaitOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Pause between checks; default 100 ms. */
  intervalMs?: number;
  /** The process being waited for: its exit ends the wait at once, with an error saying so. */
  child?: ChildProcess;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` (a throw counts as "not yet") until it returns true; throws naming `what` on timeout. */
export async function waitFor(check: () => Promise<boolean>, what: string, options: WaitOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, intervalMs = 100, child } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (child) {
      const failed = spawnError(child);
      if (failed) throw new Error(`${what} could not be started: ${failed.message}`);
      if (hasExited(child)) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    }
    const ok = await check().then(
      (passed) => {
        lastError = undefined;
        return passed;
      },
      (error: unknown) => {
        lastError = error;
        return false;
      },
    );
    if (ok) return;
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until GET `url` answers 200 (each try limited to 2 s, so a hung server cannot stall the wait). */
export function waitForHttp(url: string, what = url, options: WaitOptions = {}): Promise<void> {
  return waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      // Thrown, so a timeout reports the last answer.
      if (res.status !== 200) throw new Error(`answered ${res.status}`);
      return true;
    },
    what,
    options,
  );
}

/** Resolves whether a TCP connection to host:port succeeds now. */
export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until something accepts TCP connections on host:port. */
export function waitForPort(port: number, what = `port ${port}`, options: WaitOptions & { host?: string } = {}): Promise<void> {
  return waitFor(() => canConnect(port, options.host), what, options);
}
