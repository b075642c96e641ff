// Progress on stderr, so a redirected stdout stays clean.
const started = Date.now();

export function log(message: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}

/** A one-line status that rewrites itself on a terminal and prints every few seconds otherwise. */
let lastPlain = 0;
export function status(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K  ${message}`);
  else if (Date.now() - lastPlain > 5_000) {
    lastPlain = Date.now();
    process.stderr.write(`  ${message}\n`);
  }
}

export function endStatus(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  lastPlain = 0;
}
