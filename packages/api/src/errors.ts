import { DriverException, NotFoundError } from '@mikro-orm/core';
import { ShopError } from '@shop/domain';
import { TRPCError } from '@trpc/server';

/**
 * The single mapping from failures to tRPC codes. A TRPCError wrapping a domain error (tRPC wraps
 * what procedures throw) is unwrapped first, so the code comes from the domain, not the wrapper.
 */
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
  const sqlState = sqlStateOf(cause);
  if (sqlState?.startsWith('22')) return new TRPCError({ code: 'BAD_REQUEST', message: 'invalid value', cause });
  if (sqlState?.startsWith('23')) return new TRPCError({ code: 'CONFLICT', message: 'conflicts with stored data', cause });
  return error;
}
