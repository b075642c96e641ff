// Structured JSON logs, one object per line on stdout, for a log shipper to collect.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

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

/** A logger that discards everything, for apps created in tests without one. */
export const silentLogger: Logger = pino({ level: 'silent' });

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Nginx's `$request_id` when it sent one we can safely echo, else a fresh one. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
