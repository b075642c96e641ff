import type { AppRouter } from '@shop/api';
import type { AnyTRPCProcedure, inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;

// Every procedure's dotted path, nested routers included ('admin.order.list'): walked on the
// router's record, where a procedure and a sub-router can be told apart (their outputs cannot).
type Paths<R, Prefix extends string = ''> = {
  [K in keyof R & string]: R[K] extends AnyTRPCProcedure ? `${Prefix}${K}` : Paths<R[K], `${Prefix}${K}.`>;
}[keyof R & string];
export type Path = Paths<AppRouter['_def']['record']>;

/** The member of `T` at a dotted path. */
export type At<T, P extends string> = P extends `${infer A}.${infer B}`
  ? A extends keyof T
    ? At<T[A], B>
    : never
  : P extends keyof T
    ? T[P]
    : never;
