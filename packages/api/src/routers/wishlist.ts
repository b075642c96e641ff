import type { TRPCRouterRecord } from '@trpc/server';

export const wishlistRouter = {} satisfies TRPCRouterRecord;
