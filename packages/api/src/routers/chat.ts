import { chat } from '@shop/domain';
import { chatHistoryInput, chatSendInput, chatSubscribeInput } from '@shop/schemas';
import { type TRPCRouterRecord, tracked } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const chatRouter = {
  rooms: authedProcedure.query(({ ctx }) => chat.listRooms(ctx)),
  history: authedProcedure.input(chatHistoryInput).query(({ ctx, input }) => chat.history(ctx, input)),
  send: authedProcedure.input(chatSendInput).mutation(({ ctx, input }) => chat.send(ctx, input)),
  // Event id = message id: a reconnecting client resumes after the last one it saw.
  onMessage: authedProcedure.input(chatSubscribeInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const { seq, item } of chat.stream(ctx, input, signal)) yield tracked(String(seq), item);
  }),
} satisfies TRPCRouterRecord;
