import { orders } from '@shop/domain';
import { orderByIdInput, ordersListInput, ordersSubscribeInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { trackedEvents } from '../streams.ts';
import { authedProcedure } from '../trpc.ts';

export const ordersRouter = {
  list: authedProcedure.input(ordersListInput).query(({ ctx, input }) => orders.listOrders(ctx, input)),
  byId: authedProcedure.input(orderByIdInput).query(({ ctx, input }) => orders.getOrder(ctx, input.id)),
  cancel: authedProcedure.input(orderByIdInput).mutation(({ ctx, input }) => orders.cancelOrder(ctx, input.id)),
  // Event id = the user's order event number: a reconnecting client resumes after it.
  onUpdate: authedProcedure
    .input(ordersSubscribeInput)
    .subscription(({ ctx, input, signal }) => trackedEvents(orders.streamOrderUpdates(ctx, input, signal))),
} satisfies TRPCRouterRecord;
