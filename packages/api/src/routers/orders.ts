import { orders } from '@shop/domain';
import { orderByIdInput, ordersListInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const ordersRouter = {
  list: authedProcedure.input(ordersListInput).query(({ ctx, input }) => orders.listOrders(ctx, input)),
  byId: authedProcedure.input(orderByIdInput).query(({ ctx, input }) => orders.getOrder(ctx, input.id)),
  cancel: authedProcedure.input(orderByIdInput).mutation(({ ctx, input }) => orders.cancelOrder(ctx, input.id)),
} satisfies TRPCRouterRecord;
