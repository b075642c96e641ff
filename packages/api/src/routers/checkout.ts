import type { TRPCRouterRecord } from '@trpc/server';

export const checkoutRouter = {} satisfies TRPCRouterRecord;
