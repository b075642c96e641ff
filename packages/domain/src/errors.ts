/**
 * Expected business failures. The API layer maps each kind to one tRPC code in one place;
 * anything else that is thrown is a bug and surfaces as INTERNAL_SERVER_ERROR.
 */
export type ShopErrorKind =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNPROCESSABLE_CONTENT'
  | 'TOO_MANY_REQUESTS';

export class ShopError extends Error {
  readonly kind: ShopErrorKind;
  /** Extra machine-readable detail for clients (for example the lines that are short of stock). */
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ShopErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ShopError';
    this.kind = kind;
    this.details = details;
  }
}

export const notFound = (what: string) => new ShopError('NOT_FOUND', `${what} not found`);
export const badRequest = (message: string) => new ShopError('BAD_REQUEST', message);
