import { wishlist } from '@shop/domain';
import { wishlistItemInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const wishlistRouter = {
  list: authedProcedure.query(({ ctx }) => wishlist.listItems(ctx)),
  add: authedProcedure.input(wishlistItemInput).mutation(({ ctx, input }) => wishlist.addItem(ctx, input)),
  remove: authedProcedure.input(wishlistItemInput).mutation(({ ctx, input }) => wishlist.removeItem(ctx, input)),
} satisfies TRPCRouterRecord;
