// The parent ↔ worker protocol over IPC: the config arrives as the first message (argv is too
// small for thousands of session cookies), results and progress go back.
export type WorkerMessage =
  | { type: 'progress'; text: string }
  | { type: 'ready'; [key: string]: unknown }
  | { type: 'stats'; [key: string]: unknown }
  | { type: 'ramped' }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string };

const firstMessage = new Promise<unknown>((resolve) => process.once('message', (m: { config?: unknown }) => resolve(m.config)));

export function config<T>(): Promise<T> {
  return firstMessage as Promise<T>;
}

export function send(message: WorkerMessage): void {
  // A timer may still tick after the result went out and the channel closed.
  if (process.connected) process.send?.(message);
}

/** Runs the worker body and reports its result or failure, then exits. */
export function run(body: () => Promise<unknown>): void {
  body()
    .then((result) => {
      send({ type: 'result', result });
    })
    .catch((error: unknown) => {
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    })
    .finally(() => {
      process.disconnect?.();
      setTimeout(() => process.exit(0), 200).unref();
    });
}

/** Waits for a message from the parent (for phased workers: "go", "report", "stop"). */
export function onParent(handler: (message: { type: string; [key: string]: unknown }) => void): void {
  process.on('message', (m) => handler(m as { type: string }));
}
