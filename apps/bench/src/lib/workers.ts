// Runs load workers (separate processes) and collects their results, showing their progress.
import type { ChildProcess } from 'node:child_process';
import { stop } from '@shop/proc';
import type { WorkerMessage } from '../workers/ipc.ts';
import { forkWorker } from './procs.ts';
import { endStatus, status } from './progress.ts';

export interface RunningWorker<R> {
  child: ChildProcess;
  result: Promise<R>;
  /** Resolves on the worker's next message of this type (e.g. 'ready'). */
  next(type: string): Promise<WorkerMessage & Record<string, unknown>>;
  post(message: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export function startWorker<R>(name: string, cfg: unknown, progressPrefix = ''): RunningWorker<R> {
  const child = forkWorker(name, cfg);
  const waiters: { type: string; resolve: (m: WorkerMessage & Record<string, unknown>) => void }[] = [];
  const result = new Promise<R>((resolve, reject) => {
    child.on('message', (raw) => {
      const m = raw as WorkerMessage & Record<string, unknown>;
      if (m.type === 'progress') status(`${progressPrefix}${m.text}`);
      else if (m.type === 'result') resolve(m.result as R);
      else if (m.type === 'error') reject(new Error(`worker ${name}: ${m.message}`));
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w && w.type === m.type) {
          waiters.splice(i, 1);
          w.resolve(m);
        }
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`worker ${name} exited (${code ?? signal}) without a result`)));
  });
  result.catch(() => {});
  return {
    child,
    result: result.finally(endStatus),
    next: (type) =>
      new Promise((resolve, reject) => {
        waiters.push({ type, resolve });
        result.catch(reject);
      }),
    post: (message) => {
      if (child.connected) child.send(message);
    },
    stop: async () => {
      await stop(child, 'SIGKILL');
    },
  };
}
