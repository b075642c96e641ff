import { catalog } from '@shop/domain';
import { catalogListInput, catalogProductInput } from '@shop/schemas';
import type { TRPCRouterRecord } from '@trpc/server';
import { publicReadProcedure } from '../trpc.ts';

export const catalogRouter = {
  categories: publicReadProcedure.query(({ ctx }) => catalog.listCategories(ctx)),
  list: publicReadProcedure.input(catalogListInput).query(({ ctx, input }) => catalog.listProducts(ctx, input)),
  product: publicReadProcedure.input(catalogProductInput).query(({ ctx, input }) => catalog.getProduct(ctx, input.slug)),
} satisfies TRPCRouterRecord;
