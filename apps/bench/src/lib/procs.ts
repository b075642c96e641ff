// Every process the benchmark starts is tracked by @shop/proc (killed by PID should we exit), and
// stopped on Ctrl-C after the clean-ups registered here.
import { type ChildProcess, fork } from 'node:child_process';
import { sleep, stopAll, track } from '@shop/proc';

const cleanups: (() => Promise<void>)[] = [];

/** A load worker: a TypeScript module in src/workers run as its own Node process, talking over IPC. */
export function forkWorker(name: string, config: unknown): ChildProcess {
  const child = fork(new URL(`../workers/${name}.ts`, import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  child.send({ type: 'config', config });
  return track(child);
}

/** Runs `fn` at clean-up (servers, clusters), newest first. */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

let cleaning: Promise<void> | undefined;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      // Through a promise: a clean-up that throws at once must not skip the ones after it.
      const done = Promise.resolve()
        .then(fn)
        .then(
          () => true,
          () => true,
        );
      // Said, not hidden: what is still running after this is killed below.
      if (!(await Promise.race([done, sleep(10_000).then(() => false)]))) {
        process.stderr.write('a clean-up took over 10 s; what it stops is killed instead\n');
      }
    }
    await stopAll('SIGKILL');
  })();
  return cleaning;
}

export function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping everything the benchmark started…\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}
