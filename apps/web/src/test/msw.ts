import {
  adminAdjustStockInput,
  adminOrderListInput,
  adminProductUpsertInput,
  adminPromotionUpsertInput,
  adminSetStatusInput,
  applyCodeInput,
  cartAddInput,
  catalogListInput,
  catalogProductInput,
  chatHistoryInput,
  chatSendInput,
  chatSubscribeInput,
  loginInput,
  mfaDisableInput,
  mfaEnableInput,
  orderByIdInput,
  ordersListInput,
  ordersSubscribeInput,
  placeOrderInput,
  registerInput,
  wishlistItemInput,
} from '@shop/schemas';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import type { ZodType } from 'zod';
import { trpcLive } from './msw-ws.ts';
import type { At, Inputs, Outputs, Path } from './paths.ts';

export const API_ORIGIN = 'http://shop.test';
/** The mocked WebSocket: every test has one; it acknowledges subscriptions and waits for `emit`. */
export const live = trpcLive(API_ORIGIN, { 'orders.onUpdate': ordersSubscribeInput, 'chat.onMessage': chatSubscribeInput });
export const server = setupServer(live.handler);

type OutputOf<P extends Path> = At<Outputs, P>;
type InputOf<P extends Path> = At<Inputs, P>;

/** A procedure failure as the server shapes it. */
export class TrpcFailure {
  readonly code: TRPC_ERROR_CODE_KEY;
  readonly message: string;
  readonly httpStatus: number;
  /** The server's `error.data.reason`, such as MFA_REQUIRED. */
  readonly reason: string | undefined;
  constructor(code: TRPC_ERROR_CODE_KEY, message: string, httpStatus = 500, reason?: string) {
    this.code = code;
    this.message = message;
    this.httpStatus = httpStatus;
    this.reason = reason;
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
  'cart.applyCode': applyCodeInput,
  'auth.login': loginInput,
  'auth.register': registerInput,
  'auth.mfa.enable': mfaEnableInput,
  'auth.mfa.disable': mfaDisableInput,
  'checkout.placeOrder': placeOrderInput,
  'chat.history': chatHistoryInput,
  'chat.send': chatSendInput,
  'admin.product.upsert': adminProductUpsertInput,
  'admin.product.adjustStock': adminAdjustStockInput,
  'admin.order.list': adminOrderListInput,
  'admin.order.setStatus': adminSetStatusInput,
  'admin.promotion.upsert': adminPromotionUpsertInput,
  'wishlist.add': wishlistItemInput,
  'wishlist.remove': wishlistItemInput,
  'orders.list': ordersListInput,
  'orders.byId': orderByIdInput,
  'orders.cancel': orderByIdInput,
};

/** What every page asks for in the header: a signed-out visitor with an empty cart. */
export const EMPTY_CART = {
  lines: [],
  itemCount: 0,
  subtotalCents: 0,
  currency: 'EUR',
  code: null,
  discountCents: 0,
  totalCents: 0,
  codeProblem: null,
};
const DEFAULTS: Resolvers = { 'auth.me': () => null, 'cart.get': () => EMPTY_CART };

/**
 * Answers tRPC's batched HTTP calls at the network edge, typed against the real router: a
 * fixture that drifts from the API fails to compile.
 */
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
          const data = { code: result.code, httpStatus: result.httpStatus, path, reason: result.reason };
          return { error: { message: result.message, code: -32000, data } };
        }
        return { result: { data: result } };
      }),
    );
  // Batched calls (`?batch=1`) carry their inputs by index and answer an array; a call on its
  // own (the SPA sends sign-in and sign-up that way) carries its input as is and answers one object.
  const respond = async (url: URL, paths: string, inputs: unknown) => {
    if (url.searchParams.get('batch') === '1') return HttpResponse.json(await answer(paths.split(','), inputs as Record<string, unknown>));
    const [one] = await answer([paths], { 0: inputs });
    return HttpResponse.json(one);
  };
  return [
    http.get(`${API_ORIGIN}/trpc/:paths`, async ({ request, params }) => {
      const url = new URL(request.url);
      const input = url.searchParams.get('input');
      return respond(url, String(params.paths), input === null ? undefined : JSON.parse(input));
    }),
    // A call on its own without input (auth.mfa.setup, auth.logout) comes with an empty body.
    http.post(`${API_ORIGIN}/trpc/:paths`, async ({ request, params }) => {
      const body = await request.text();
      return respond(new URL(request.url), String(params.paths), body ? JSON.parse(body) : undefined);
    }),
  ];
}
