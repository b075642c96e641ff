/**
 * The one place tRPC is set up: (1) context, (2) initialisation and error shape,
 * (3) the procedure builders every router uses.
 */
import type { Orm } from '@shop/db';
import type { ServiceContext } from '@shop/domain';
import { initTRPC } from '@trpc/server';
import { ZodError, z } from 'zod';
import { toTRPCError } from './errors.ts';

// 1. Context ------------------------------------------------------------------------------------

export interface ContextDeps {
  orm: Orm;
}

/** Transport-free context: tests build it from plain values, adapters add the request on top. */
export function createContextInner(deps: ContextDeps) {
  return { orm: deps.orm };
}
export type Context = ReturnType<typeof createContextInner>;

// 2. Initialisation ------------------------------------------------------------------------------

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      // A readable reason ("limit: Too small…") rather than zod's JSON dump.
      message: cause instanceof ZodError ? z.prettifyError(cause) : shape.message,
      data: {
        ...shape.data,
        // The contract: invalid input is BAD_REQUEST carrying zod's issues.
        zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
        // Never leak stack traces, whatever NODE_ENV says.
        stack: undefined,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

// 3. Procedures ----------------------------------------------------------------------------------

/**
 * Every call gets its own EntityManager fork (a WebSocket's context outlives many calls), and
 * every domain or ORM failure is mapped to a tRPC error in one place.
 */
const withServices = t.middleware(async ({ ctx, next }) => {
  const services: ServiceContext = { em: ctx.orm.em.fork() };
  const result = await next({ ctx: services });
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

export const publicProcedure = t.procedure.use(withServices);
