import { ConnectionException, DriverException, NotFoundError } from '@mikro-orm/core';
import { ShopError } from '@shop/domain';
import { TRPCError } from '@trpc/server';

/** The SQLSTATE of a database error: the ORM's DriverException, or the driver's own error. */
function sqlStateOf(cause: unknown): string | undefined {
  if (cause instanceof DriverException) return (cause as DriverException & { code?: string }).code;
  if (
    cause instanceof Error &&
    'severity' in cause &&
    'code' in cause &&
    typeof cause.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(cause.code)
  ) {
    return cause.code;
  }
  return undefined;
}

// Network-level failures of the database connection (the driver's own codes, not SQLSTATEs).
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * True when the database cannot be reached (down, restarting, out of connections) rather than the
 * request being wrong: the client gets a retryable 503 instead of a 500 quoting internal addresses.
 */
export function databaseUnavailable(cause: unknown): boolean {
  for (let error = cause, depth = 0; error instanceof Error && depth < 4; error = error.cause, depth++) {
    const code = (error as Error & { code?: unknown }).code;
    // 08P01 (protocol violation) as an ERROR is a statement the server could not take, such as
    // one carrying a NUL byte: retrying it cannot help, so it is not an outage. (As FATAL, the
    // connection was lost, and it is.)
    if (code === '08P01' && (error as Error & { severity?: unknown }).severity !== 'FATAL') return false;
    if (error instanceof ConnectionException) return true;
    if (typeof code === 'string') {
      // SQLSTATE 08 connection exception, 57P01-03 shutting down / starting up, 53300 too many connections.
      if (code.startsWith('08') || /^57P0[1-3]$/.test(code) || code === '53300' || CONNECTION_ERRNOS.has(code)) return true;
    }
    // node-postgres reports a dropped or never-made connection by message only.
    if (/^Connection terminated|timeout exceeded when trying to connect/.test(error.message)) return true;
  }
  return false;
}

/**
 * The single mapping from failures to tRPC codes. A TRPCError wrapping a domain error (tRPC wraps
 * what procedures throw) is unwrapped first, so the code comes from the domain, not the wrapper.
 */
export function toTRPCError(error: TRPCError): TRPCError {
  const cause = error.cause;
  if (cause instanceof ShopError) {
    return new TRPCError({ code: cause.kind, message: cause.message, cause });
  }
  if (cause instanceof NotFoundError) {
    return new TRPCError({ code: 'NOT_FOUND', message: 'not found', cause });
  }
  // SQLSTATE class 22 (data exception) and 23 (integrity violation) come from what the client
  // sent, not from a bug: out-of-range numbers, check and unique violations. ORM operations throw
  // DriverException, raw queries the driver's own error; both carry the code.
  // The statement's own SQLSTATE first: the ORM may wrap a data error in a ConnectionException,
  // and it is still the client's input, not an outage.
  const sqlState = sqlStateOf(cause);
  if (sqlState?.startsWith('22')) return new TRPCError({ code: 'BAD_REQUEST', message: 'invalid value', cause });
  if (sqlState?.startsWith('23')) return new TRPCError({ code: 'CONFLICT', message: 'conflicts with stored data', cause });
  if (databaseUnavailable(cause)) {
    return new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'the database is unavailable, retry shortly', cause });
  }
  return error;
}
