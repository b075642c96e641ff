import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnTracked, stop, stopAll } from './process.ts';
import { waitFor } from './wait.ts';

/** A Node child running `code`, resolved once it printed "ready" (its signal handlers are set). */
async function node(code: string): Promise<ChildProcess> {
  const child = spawnTracked(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterEach(() => stopAll());

describe('stop', () => {
  it('resolves with the exit code of a child that drains on SIGTERM', async () => {
    const child = await node(`process.on('SIGTERM', () => process.exit(7)); console.log('ready'); setInterval(() => {}, 1000);`);
    expect(await stop(child)).toBe(7);
  });

  it('escalates to SIGKILL for a child that ignores SIGTERM', async () => {
    const child = await node(`process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000);`);
    expect(await stop(child, 'SIGTERM', 200)).toBeNull();
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('returns at once for a child that has already exited', async () => {
    const child = await node(`console.log('ready'); process.exitCode = 4;`);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(await stop(child)).toBe(4);
  });
});

describe('spawnTracked', () => {
  it('kills its children when the parent process exits without stopping them', async () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { spawnTracked } = await import(${JSON.stringify(entry)});
         const child = spawnTracked(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
         console.log(child.pid);
         process.exit(0);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    parent.stdout?.on('data', (chunk) => {
      out += chunk;
    });
    await new Promise((resolve) => parent.once('exit', resolve));
    const orphan = Number(out.trim());
    expect(orphan).toBeGreaterThan(0);
    await waitFor(async () => !alive(orphan), `process ${orphan} to be gone`, { timeoutMs: 5_000 });
  });

  it('reports a command that cannot be started instead of crashing', async () => {
    const child = spawnTracked('/nonexistent/definitely-not-a-command', []);
    await expect(waitFor(async () => false, 'the missing command', { child })).rejects.toThrow(
      /the missing command could not be started: .*ENOENT/,
    );
  });
});
