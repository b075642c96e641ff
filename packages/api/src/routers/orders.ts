import { orders } from '@shop/domain';
import { orderByIdInput, ordersListInput, ordersSubscribeInput } from '@shop/schemas';
import { type TRPCRouterRecord, tracked } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const ordersRouter = {
  list: authedProcedure.input(ordersListInput).query(({ ctx, input }) => orders.listOrders(ctx, input)),
  byId: authedProcedure.input(orderByIdInput).query(({ ctx, input }) => orders.getOrder(ctx, input.id)),
  cancel: authedProcedure.input(orderByIdInput).mutation(({ ctx, input }) => orders.cancelOrder(ctx, input.id)),
  // Event id = the user's order event number: a reconnecting client resumes after it.
  onUpdate: authedProcedure.input(ordersSubscribeInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const { seq, item } of orders.streamOrderUpdates(ctx, input, signal)) yield tracked(String(seq), item);
  }),
} satisfies TRPCRouterRecord;
