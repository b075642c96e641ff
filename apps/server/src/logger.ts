// Structured JSON logs, one object per line on stdout, for a log shipper to collect; in a
// terminal, the same lines printed for a person to read.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LevelWithSilent[];

/**
 * Nothing logs request bodies or headers, so secrets never reach a line in the first place; these
 * paths are a second line of defence should someone log such an object later.
 */
const REDACT = [
  'password',
  '*.password',
  'cookie',
  '*.cookie',
  'headers.cookie',
  '*.headers.cookie',
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
  'sessionData',
  // Second-factor material: codes, seeds and the URI that carries one.
  'totp',
  '*.totp',
  'recoveryCode',
  '*.recoveryCode',
  'recoveryCodes',
  '*.recoveryCodes',
  'secret',
  '*.secret',
  'otpauthUri',
  '*.otpauthUri',
  'shippingAddress',
  '*.shippingAddress',
  'address',
  '*.address',
];

export function createLogger(options: { level: LevelWithSilent; instance: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { instance: options.instance },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"info" rather than pino's numbers: readable without a pretty-printer.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    options.destination,
  );
}

export interface StdoutLog {
  logger: Logger;
  /** Resolves once every line logged so far, the write in flight included, has reached stdout. */
  flush(): Promise<void>;
  /** Writes out what is still buffered, synchronously (fatal paths may not get another tick), then exits. */
  exit(code: number): never;
}

/**
 * The process's log on stdout, written asynchronously: lines go out in batches of 4 KB (or after
 * a second when quiet) rather than one blocking write per request. Whatever is still buffered when
 * the process ends is lost unless it is flushed first, hence `flush` and `exit`.
 *
 * When stdout is a terminal (`pnpm start` by hand) each line is printed readably by pino-pretty and
 * written synchronously: a person reads it as it happens, and an asynchronous write still in flight
 * could land after the last lines `exit` writes. Anywhere else (a pipe, a file, a container's log)
 * it stays JSON for the log shipper.
 */
export function createStdoutLog(options: { level: LevelWithSilent; instance: string }): StdoutLog {
  const pretty = process.stdout.isTTY === true;
  const stdout = pino.destination(pretty ? { dest: 1, sync: true } : { dest: 1, sync: false, minLength: 4096, periodicFlush: 1000 });
  const destination = pretty ? prettyDestination(stdout) : stdout;
  const logger = createLogger({ ...options, destination });
  return {
    logger,
    // The callback's error is fsync refusing a pipe, after the lines were written: nothing to do.
    flush: () => new Promise((resolve) => logger.flush(() => resolve())),
    exit(code) {
      try {
        stdout.flushSync();
      } finally {
        process.exit(code);
      }
    },
  };
}

/**
 * Each JSON line turned into a readable one before it reaches `out`, synchronously, so flushing
 * `out` still flushes everything logged. The instance name is the same on every line of a
 * terminal's one process: left out.
 */
function prettyDestination(out: ReturnType<typeof pino.destination>): DestinationStream & { flush(cb: (error?: Error) => void): void } {
  const format = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'instance', singleLine: true });
  return {
    write: (line: string) => out.write(format(line)),
    flush: (cb) => out.flush(cb),
  };
}

/** A logger that discards everything, for apps created in tests without one. */
export const silentLogger: Logger = pino({ level: 'silent' });

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Nginx's `$request_id` when it sent one we can safely echo, else a fresh one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
