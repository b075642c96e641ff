import type { AppRouter } from '@shop/api';
import { cartAddInput, catalogListInput, catalogProductInput, loginInput, placeOrderInput, registerInput } from '@shop/schemas';
import type { inferRouterInputs, inferRouterOutputs, TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import type { ZodType } from 'zod';

export const API_ORIGIN = 'http://shop.test';
export const server = setupServer();

type Inputs = inferRouterInputs<AppRouter>;
type Outputs = inferRouterOutputs<AppRouter>;
type Path = { [K in keyof Outputs]: { [P in keyof Outputs[K]]: `${K & string}.${P & string}` }[keyof Outputs[K]] }[keyof Outputs];
type Split<S> = S extends `${infer A}.${infer B}` ? [A, B] : never;
type OutputOf<P extends Path> = Split<P> extends [infer A extends keyof Outputs, infer B] ? Outputs[A][B & keyof Outputs[A]] : never;
type InputOf<P extends Path> = Split<P> extends [infer A extends keyof Inputs, infer B] ? Inputs[A][B & keyof Inputs[A]] : never;

/** A procedure failure as the server shapes it. */
export class TrpcFailure {
  readonly code: TRPC_ERROR_CODE_KEY;
  readonly message: string;
  readonly httpStatus: number;
  constructor(code: TRPC_ERROR_CODE_KEY, message: string, httpStatus = 500) {
    this.code = code;
    this.message = message;
    this.httpStatus = httpStatus;
  }
}

type Resolver<P extends Path> = (input: InputOf<P>) => OutputOf<P> | TrpcFailure | Promise<OutputOf<P> | TrpcFailure>;
export type Resolvers = { [P in Path]?: Resolver<P> };

// The server's own input schemas: a request the real API would refuse fails here too, instead of
// passing against a lenient mock.
const INPUT_SCHEMAS: { [P in Path]?: ZodType } = {
  'catalog.list': catalogListInput,
  'catalog.product': catalogProductInput,
  'cart.add': cartAddInput,
  'auth.login': loginInput,
  'auth.register': registerInput,
  'checkout.placeOrder': placeOrderInput,
};

/**
 * Answers tRPC's batched HTTP calls at the network edge, typed against the real router: a
 * fixture that drifts from the API fails to compile.
 */
/** What every page asks for in the header: a signed-out visitor with an empty cart. */
export const EMPTY_CART = { lines: [], itemCount: 0, subtotalCents: 0, currency: 'EUR' };
const DEFAULTS: Resolvers = { 'auth.me': () => null, 'cart.get': () => EMPTY_CART };

export function trpc(own: Resolvers) {
  const resolvers: Resolvers = { ...DEFAULTS, ...own };
  const answer = async (paths: string[], inputs: Record<string, unknown>) =>
    Promise.all(
      paths.map(async (path, i) => {
        const resolve = resolvers[path as Path] as ((input: unknown) => unknown) | undefined;
        if (!resolve)
          return {
            error: { message: `no msw resolver for ${path}`, code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path } },
          };
        const input = inputs[String(i)];
        const parsed = INPUT_SCHEMAS[path as Path]?.safeParse(input);
        if (parsed && !parsed.success) {
          return {
            error: {
              message: `msw: the server would refuse this input: ${parsed.error.message}`,
              code: -32600,
              data: { code: 'BAD_REQUEST', httpStatus: 400, path },
            },
          };
        }
        const result = await resolve(input);
        if (result instanceof TrpcFailure) {
          return { error: { message: result.message, code: -32000, data: { code: result.code, httpStatus: result.httpStatus, path } } };
        }
        return { result: { data: result } };
      }),
    );
  return [
    http.get(`${API_ORIGIN}/trpc/:paths`, async ({ request, params }) => {
      const url = new URL(request.url);
      const inputs = JSON.parse(url.searchParams.get('input') ?? '{}') as Record<string, unknown>;
      return HttpResponse.json(await answer(String(params.paths).split(','), inputs));
    }),
    http.post(`${API_ORIGIN}/trpc/:paths`, async ({ request, params }) => {
      const inputs = (await request.json()) as Record<string, unknown>;
      return HttpResponse.json(await answer(String(params.paths).split(','), inputs));
    }),
  ];
}
