/**
 * The one place tRPC is set up: (1) context, (2) initialisation and error shape,
 * (3) the procedure builders every router uses.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type { SessionCodec, SessionData } from '@shop/auth';
import type { Bus } from '@shop/bus';
import type { Orm, ReplicaReads } from '@shop/db';
import {
  type AuthedContext,
  auth,
  type ClaimedContext,
  type catalog,
  type Limits,
  type LiveRegistry,
  type MfaSettings,
  type ServiceContext,
  type SessionUser,
  ShopError,
} from '@shop/domain';
import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ZodError, z } from 'zod';
import { toTRPCError } from './errors.ts';
import { cookieSession, type RequestInfo, type RequestTransport, resolveUser } from './session.ts';
import { type StreamHooks, withHooks } from './streams.ts';

// 1. Context ------------------------------------------------------------------------------------

/** A finished procedure call, for metrics: `error` is null when it succeeded, else the tRPC code. */
export interface ProcedureCall {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  durationMs: number;
  error: TRPCError['code'] | null;
}

/**
 * Instrumentation port: the server feeds these into its metrics, so this package needs no metrics
 * library. A subscription's call ends when it starts streaming; `streaming` counts open streams.
 */
export interface ProcedureObserver {
  called(call: ProcedureCall): void;
  streaming(path: string, delta: 1 | -1): void;
}

/** Process-wide dependencies, created once at start-up. */
export interface ContextDeps {
  orm: Orm;
  /** Catalog reads' way to the read replicas (replicaReads(orm)): one per process, it knows which are down. */
  replica: ReplicaReads;
  codec: SessionCodec;
  limits: Limits;
  currency: string;
  bus: Bus;
  catalogCache: catalog.CatalogCache;
  live: LiveRegistry;
  mfa: MfaSettings;
  observer?: ProcedureObserver;
}

/**
 * Transport-free context: tests build it from plain values, adapters add the request on top. The
 * cookie is read here, once; the context keeps the session, not the header (a WebSocket's context
 * lives as long as the socket).
 */
export async function createContextInner(deps: ContextDeps, { cookieHeader, ...req }: RequestInfo) {
  const sessionData: SessionData | null = await deps.codec.read(cookieHeader);
  return { ...deps, req: req satisfies RequestTransport, sessionData };
}
export type Context = Awaited<ReturnType<typeof createContextInner>>;

// 2. Initialisation ------------------------------------------------------------------------------

/** What a procedure declares about how it may be called; the transports enforce it (http.ts). */
export interface Meta {
  /**
   * Sets or clears the session cookie (which a WebSocket cannot), and most such calls test a secret
   * (a password, a second-factor code). Accepted over HTTP only, one call per request: a batch
   * would run many guesses side by side.
   */
  alone?: true;
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
    // Subscriptions are served over the WebSocket only, where each socket's streams are capped:
    // no server-sent-event streams over plain HTTP (the HTTP server also refuses them up front).
    sse: { enabled: false },
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      // Errors thrown while a subscription streams bypass the procedure middleware: map them here
      // with the same function, so a NOT_FOUND room is NOT_FOUND on the socket too.
      const mapped = toTRPCError(error);
      return {
        ...shape,
        code: TRPC_ERROR_CODES_BY_KEY[mapped.code],
        // A readable reason ("limit: Too small…") rather than zod's JSON dump.
        // An unexpected failure's own message can quote internals (addresses, SQL): never sent.
        message:
          cause instanceof ZodError
            ? z.prettifyError(cause)
            : mapped.code === 'INTERNAL_SERVER_ERROR'
              ? 'internal server error'
              : mapped.message,
        data: {
          ...shape.data,
          code: mapped.code,
          httpStatus: getHTTPStatusCodeFromError(mapped),
          // The contract: invalid input is BAD_REQUEST carrying zod's issues.
          zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
          // Machine-readable detail of a business failure, such as the lines short of stock.
          details: cause instanceof ShopError ? (cause.details ?? null) : null,
          // Why, where a client acts on it: MFA_REQUIRED (ask for the code), MFA_ENROLMENT_REQUIRED,
          // VARIANT_REQUIRED (choose the options on the product page).
          reason: cause instanceof ShopError ? cause.reason : undefined,
          // Never leak stack traces, whatever NODE_ENV says.
          stack: undefined,
        },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures ----------------------------------------------------------------------------------

/** What a procedure's service call gets: its own EntityManager fork and the process-wide parts. */
function servicesOf(ctx: Context, em: EntityManager, user: SessionUser | null, sessionData: SessionData | null): ServiceContext {
  return {
    em,
    replica: ctx.replica,
    user,
    session: cookieSession(ctx.codec, ctx.req, sessionData),
    clientIp: ctx.req.clientIp,
    limits: ctx.limits,
    currency: ctx.currency,
    bus: ctx.bus,
    catalogCache: ctx.catalogCache,
    live: ctx.live,
    mfa: ctx.mfa,
  };
}

/**
 * Every call gets its own EntityManager fork (a WebSocket's context outlives many calls), the
 * session's user reloaded (so revocation and role changes apply at once), and every domain or
 * ORM failure mapped to a tRPC error in one place.
 */
const withServices = t.middleware(async ({ ctx, next }) => {
  const em = ctx.orm.em.fork();
  const user = await resolveUser(ctx.codec, ctx.req, ctx.sessionData, em);
  const result = await next({ ctx: servicesOf(ctx, em, user, ctx.sessionData) });
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

/**
 * A signed-in session whose user is not read before the call (see ClaimedContext): the service
 * checks the session in the statement that acts on it, and reads the user (`authenticate`, as
 * withServices does) only where it needs it. Nothing is slid here: the idle timeout moves with the
 * calls that read the user.
 */
const withClaim = t.middleware(async ({ ctx, next }) => {
  const data = ctx.sessionData;
  if (!data?.uid || data.sv === undefined) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
  const em = ctx.orm.em.fork();
  const services = servicesOf(ctx, em, null, data);
  const claimed: ClaimedContext = {
    ...services,
    user: null,
    claim: { userId: data.uid, sessionVersion: data.sv },
    async authenticate() {
      const user = await resolveUser(ctx.codec, ctx.req, data, em);
      return user ? { ...services, user } : null;
    },
  };
  const result = await next({ ctx: claimed });
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

/**
 * Reads whose answer is the same for everyone: they run as for a guest (no user, no session), so
 * a signed-in call costs no user query. Revocation loses nothing (there is nothing to revoke
 * here), and the idle timeout is still slid by the calls that resolve the user, such as the
 * `auth.me` and `cart.get` every page of the SPA makes.
 */
const withGuestServices = t.middleware(async ({ ctx, next }) => {
  // Its own EntityManager fork, as every call (the global one refuses entity loads but not writes
  // or transactions, which would then be shared by every public read), and a session it cannot
  // write: a public read's response may be cached for everyone, so it must never set a cookie.
  const req = { ...ctx.req, setCookie: null };
  const result = await next({ ctx: servicesOf({ ...ctx, req }, ctx.orm.em.fork(), null, null) });
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

/** Every call's duration and outcome go to the observer, if the server installed one. */
const observed = t.middleware(async ({ ctx, path, type, next }) => {
  const { observer } = ctx;
  if (!observer) return next();
  const started = performance.now();
  const result = await next();
  observer.called({ path, type, durationMs: performance.now() - started, error: result.ok ? null : toTRPCError(result.error).code });
  if (type === 'subscription' && result.ok && isAsyncIterable(result.data)) {
    return {
      ...result,
      // One open stream from its first pull to its end (or cancellation).
      data: withHooks(result.data, new StreamCount(observer, path)),
    };
  }
  return result;
});

/** Hooks as one small object per stream rather than two closures and their scope. */
class StreamCount implements StreamHooks {
  readonly observer: ProcedureObserver;
  readonly path: string;
  constructor(observer: ProcedureObserver, path: string) {
    this.observer = observer;
    this.path = path;
  }
  onStart(): void {
    this.observer.streaming(this.path, 1);
  }
  onEnd(): void {
    this.observer.streaming(this.path, -1);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

export const publicProcedure = t.procedure.use(observed).use(withServices);

/** Public data, the same for every caller: `ctx.user` is null whoever calls (see withGuestServices). */
export const publicReadProcedure = t.procedure.use(observed).use(withGuestServices);

/**
 * Signed in, the user not read per call (`ctx.claim`): only for a service whose own statement
 * checks the session, on a hot path (chat.send), where the user query is a round trip in two.
 */
export const claimedProcedure = t.procedure.use(observed).use(withClaim);

/** Signed in: `ctx.user` is non-null from here on. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
  return next({ ctx: ctx as AuthedContext });
});

/** Signed in with the staff role, second factor or not: enrolling one (auth.mfa.*). */
export const staffAccountProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'staff') throw new TRPCError({ code: 'FORBIDDEN', message: 'staff only' });
  return next();
});

/** Staff whose session passed the second factor where the account has one (or must have one). */
export const staffProcedure = staffAccountProcedure.use(({ ctx, next }) => {
  auth.requireStaffFactor(ctx);
  return next();
});
