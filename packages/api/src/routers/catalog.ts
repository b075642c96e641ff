import { catalog } from '@shop/domain';
import { catalogListInput, catalogProductInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicProcedure } from '../trpc.ts';

export const catalogRouter = {
  categories: publicProcedure.query(({ ctx }) => catalog.listCategories(ctx)),
  list: publicProcedure.input(catalogListInput).query(({ ctx, input }) => catalog.listProducts(ctx, input)),
  product: publicProcedure.input(catalogProductInput).query(({ ctx, input }) => catalog.getProduct(ctx, input.slug)),
} satisfies TRPCRouterRecord;
