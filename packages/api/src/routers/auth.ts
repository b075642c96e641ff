import { auth } from '@shop/domain';
import { loginInput, mfaDisableInput, mfaEnableInput, registerInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure, staffAccountProcedure } from '../trpc.ts';

export const authRouter = {
  register: publicProcedure
    .meta({ alone: true })
    .input(registerInput)
    .mutation(({ ctx, input }) => auth.register(ctx, input)),
  login: publicProcedure
    .meta({ alone: true })
    .input(loginInput)
    .mutation(({ ctx, input }) => auth.login(ctx, input)),
  logout: publicProcedure.meta({ alone: true }).mutation(({ ctx }) => auth.logout(ctx)),
  me: publicProcedure.query(({ ctx }) => auth.me(ctx)),
  mfa: {
    setup: staffAccountProcedure.mutation(({ ctx }) => auth.setupMfa(ctx)),
    enable: staffAccountProcedure
      .meta({ alone: true })
      .input(mfaEnableInput)
      .mutation(({ ctx, input }) => auth.enableMfa(ctx, input)),
    disable: staffAccountProcedure
      .meta({ alone: true })
      .input(mfaDisableInput)
      .mutation(({ ctx, input }) => auth.disableMfa(ctx, input)),
  },
} satisfies TRPCRouterRecord;
