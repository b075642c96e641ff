import { auth } from '@shop/domain';
import { loginInput, mfaDisableInput, mfaEnableInput, registerInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure, staffAccountProcedure } from '../trpc.ts';

export const authRouter = {
  register: publicProcedure.input(registerInput).mutation(({ ctx, input }) => auth.register(ctx, input)),
  login: publicProcedure.input(loginInput).mutation(({ ctx, input }) => auth.login(ctx, input)),
  logout: publicProcedure.mutation(({ ctx }) => auth.logout(ctx)),
  me: publicProcedure.query(({ ctx }) => auth.me(ctx)),
  mfa: {
    setup: staffAccountProcedure.mutation(({ ctx }) => auth.setupMfa(ctx)),
    enable: staffAccountProcedure.input(mfaEnableInput).mutation(({ ctx, input }) => auth.enableMfa(ctx, input)),
    disable: staffAccountProcedure.input(mfaDisableInput).mutation(({ ctx, input }) => auth.disableMfa(ctx, input)),
  },
} satisfies TRPCRouterRecord;
