import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';

// The stdout log is asynchronous and buffered, so these run in a child process of their own: the
// question is what reaches stdout when the process ends.
const logger = new URL('./logger.ts', import.meta.url).href;

/**
 * Runs `body` (with `logger`, `flush` and `exit` of a stdout log in scope) with stdout a pipe, or
 * a terminal (`script` from util-linux gives it a pseudo-terminal); returns its exit and stdout.
 */
async function runRaw(body: string, terminal = false): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const source = `import { createStdoutLog } from ${JSON.stringify(logger)};
const { logger, flush, exit } = createStdoutLog({ level: 'info', instance: 'log-test' });
${body}`;
  const node = [process.execPath, '--input-type=module', '-e', source];
  const child = terminal
    ? spawn(
        'script',
        ['--quiet', '--return', '--command', `"${process.execPath}" --input-type=module -e "$LOG_TEST_SOURCE"`, '/dev/null'],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, LOG_TEST_SOURCE: source },
        },
      )
    : spawn(node[0] as string, node.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout };
}

/** `runRaw` with stdout a pipe, its lines parsed as JSON (any other line fails the test). */
async function run(body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Record<string, unknown>[] }> {
  const { code, signal, stdout } = await runRaw(body);
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, signal, lines };
}

describe('the stdout log', () => {
  it('writes out the lines still buffered when exit is called', async () => {
    const { code, lines } = await run(`logger.info('first'); logger.fatal('last words'); exit(3);`);
    expect(code).toBe(3);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'first'],
      ['fatal', 'last words'],
    ]);
    expect(lines[1]).toMatchObject({ instance: 'log-test' });
  });

  it('has every line on stdout once flush resolves, even if the process is then killed', async () => {
    // SIGKILL runs no exit hook: only what flush wrote can arrive.
    const { signal, lines } = await run(`for (let i = 0; i < 500; i++) logger.info({ i }, 'line');
await flush();
process.kill(process.pid, 'SIGKILL');`);
    expect(signal).toBe('SIGKILL');
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('flushes when nothing is buffered', async () => {
    const { code, lines } = await run(`await flush(); logger.info('after'); exit(0);`);
    expect(code).toBe(0);
    expect(lines.map((l) => l.msg)).toEqual(['after']);
  });

  it('writes JSON lines when stdout is not a terminal', async () => {
    const { stdout } = await runRaw(`logger.info({ reqId: 'r-1', status: 200 }, 'request'); exit(0);`);
    expect(JSON.parse(stdout.trim())).toMatchObject({ level: 'info', msg: 'request', reqId: 'r-1', status: 200, instance: 'log-test' });
  });

  it('prints readable lines, not JSON, when stdout is a terminal, through flush and exit', async () => {
    const { code, stdout } = await runRaw(
      `logger.info({ reqId: 'r-1', status: 200 }, 'request'); await flush(); logger.fatal({ password: 'hunter2' }, 'last words'); exit(3);`,
      true,
    );
    expect(code).toBe(3);
    const plain = stripVTControlCharacters(stdout);
    const lines = plain.split(/\r?\n/).filter(Boolean);
    expect(lines).toEqual([
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request \{"reqId":"r-1","status":200\}$/),
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] FATAL: last words \{"password":"\[redacted\]"\}$/),
    ]);
    expect(plain).not.toBe(stdout); // coloured
  });
});
