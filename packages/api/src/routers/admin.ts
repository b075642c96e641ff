import { admin, stats } from '@shop/domain';
import {
  adminAdjustStockInput,
  adminOrderListInput,
  adminProductUpsertInput,
  adminPromotionUpsertInput,
  adminSetStatusInput,
} from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { staffProcedure } from '../trpc.ts';

export const adminRouter = {
  product: {
    upsert: staffProcedure.input(adminProductUpsertInput).mutation(({ ctx, input }) => admin.upsertProduct(ctx, input)),
    adjustStock: staffProcedure.input(adminAdjustStockInput).mutation(({ ctx, input }) => admin.adjustStock(ctx, input)),
  },
  order: {
    list: staffProcedure.input(adminOrderListInput).query(({ ctx, input }) => admin.listOrders(ctx, input)),
    setStatus: staffProcedure.input(adminSetStatusInput).mutation(({ ctx, input }) => admin.setOrderStatus(ctx, input)),
  },
  stats: {
    // Plain values, not tracked events: a reconnecting dashboard gets the current figures at once.
    onUpdate: staffProcedure.subscription(({ ctx, signal }) => stats.streamStaffStats(ctx, signal)),
  },
  promotion: {
    upsert: staffProcedure.input(adminPromotionUpsertInput).mutation(({ ctx, input }) => admin.upsertPromotion(ctx, input)),
    list: staffProcedure.query(({ ctx }) => admin.listPromotions(ctx)),
  },
} satisfies TRPCRouterRecord;
