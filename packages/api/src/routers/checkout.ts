import { checkout } from '@shop/domain';
import { placeOrderInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const checkoutRouter = {
  placeOrder: authedProcedure.input(placeOrderInput).mutation(({ ctx, input }) => checkout.placeOrder(ctx, input)),
} satisfies TRPCRouterRecord;
