export { httpRefusal, MAX_BATCH_SIZE, type Refusal, responseMeta, socketRefusal } from './http.ts';
export { type AppRouter, appRouter, createCaller } from './root.ts';
export type { RequestInfo } from './session.ts';
export { type Context, type ContextDeps, createContextInner, type Meta, type ProcedureCall, type ProcedureObserver } from './trpc.ts';
