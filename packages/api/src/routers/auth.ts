import { auth } from '@shop/domain';
import { loginInput, registerInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.ts';

export const authRouter = {
  register: publicProcedure
    .meta({ alone: true })
    .input(registerInput)
    .mutation(({ ctx, input }) => auth.register(ctx, input)),
  login: publicProcedure
    .meta({ alone: true })
    .input(loginInput)
    .mutation(({ ctx, input }) => auth.login(ctx, input)),
  logout: publicProcedure.mutation(({ ctx }) => auth.logout(ctx)),
  me: publicProcedure.query(({ ctx }) => auth.me(ctx)),
} satisfies TRPCRouterRecord;
