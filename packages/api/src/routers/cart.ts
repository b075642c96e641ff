import { cart } from '@shop/domain';
import { applyCodeInput, cartAddInput, cartRemoveInput, cartUpdateInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.ts';

export const cartRouter = {
  get: publicProcedure.query(({ ctx }) => cart.getCart(ctx)),
  add: publicProcedure.input(cartAddInput).mutation(({ ctx, input }) => cart.addItem(ctx, input)),
  update: publicProcedure.input(cartUpdateInput).mutation(({ ctx, input }) => cart.updateItem(ctx, input)),
  remove: publicProcedure.input(cartRemoveInput).mutation(({ ctx, input }) => cart.removeItem(ctx, input)),
  applyCode: publicProcedure.input(applyCodeInput).mutation(({ ctx, input }) => cart.applyCode(ctx, input)),
  removeCode: publicProcedure.mutation(({ ctx }) => cart.removeCode(ctx)),
} satisfies TRPCRouterRecord;
