import { chat } from '@shop/domain';
import { chatHistoryInput, chatSendInput, chatSubscribeInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { trackedEvents } from '../streams.ts';
import { authedProcedure, claimedProcedure } from '../trpc.ts';

export const chatRouter = {
  rooms: authedProcedure.query(({ ctx }) => chat.listRooms(ctx)),
  history: authedProcedure.input(chatHistoryInput).query(({ ctx, input }) => chat.history(ctx, input)),
  send: claimedProcedure.input(chatSendInput).mutation(({ ctx, input }) => chat.send(ctx, input)),
  // Event id = message id: a reconnecting client resumes after the last one it saw.
  // Not a generator over the call's options: those (the context with its EntityManager fork) would
  // stay alive as long as the socket.
  onMessage: authedProcedure
    .input(chatSubscribeInput)
    .subscription(({ ctx, input, signal }) => trackedEvents(chat.stream(ctx, input, signal))),
} satisfies TRPCRouterRecord;
