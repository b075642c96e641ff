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

/**
 * Why a request was refused, where a client acts on it (the SPA asks for a code, or to enrol, or
 * sends the shopper to the product page to choose its options).
 */
export type ShopErrorReason = 'MFA_REQUIRED' | 'MFA_ENROLMENT_REQUIRED' | 'VARIANT_REQUIRED';

export class ShopError extends Error {
  readonly kind: ShopErrorKind;
  /** Extra machine-readable detail for clients (for example the lines that are short of stock). */
  readonly details: Record<string, unknown> | undefined;
  readonly reason: ShopErrorReason | undefined;

  constructor(kind: ShopErrorKind, message: string, details?: Record<string, unknown>, reason?: ShopErrorReason) {
    super(message);
    this.name = 'ShopError';
    this.kind = kind;
    this.details = details;
    this.reason = reason;
  }
}

export const notFound = (what: string) => new ShopError('NOT_FOUND', `${what} not found`);
export const badRequest = (message: string) => new ShopError('BAD_REQUEST', message);
