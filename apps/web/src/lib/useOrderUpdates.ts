import type { Order, Page } from '@shop/schemas';
import { type InfiniteData, type QueryClient, type QueryKey, skipToken, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from './trpc.ts';

/** Replaces `order` in every loaded page of the order lists under `listKey` (the shopper's or staff's). */
export function replaceInPages(queryClient: QueryClient, listKey: QueryKey, order: Order): void {
  queryClient.setQueriesData<InfiniteData<Page<Order>>>({ queryKey: listKey }, (old) =>
    old?.pages
      ? { ...old, pages: old.pages.map((page) => ({ ...page, items: page.items.map((o) => (o.id === order.id ? order : o)) })) }
      : old,
  );
}

/** The shopper's order as it now is, wherever it is cached: its detail query and their list's pages. */
export function putOrder(queryClient: QueryClient, trpc: ReturnType<typeof useTRPC>, order: Order): void {
  queryClient.setQueryData(trpc.orders.byId.queryKey({ id: order.id }), order);
  replaceInPages(queryClient, trpc.orders.list.pathKey(), order);
}

/**
 * Keeps the signed-in shopper's orders live: each status change the server pushes replaces the
 * order in its detail query and in every loaded page of the order list. `onUpdate` runs after.
 */
export function useOrderUpdates(onUpdate?: (order: Order) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  return useSubscription(
    trpc.orders.onUpdate.subscriptionOptions(me.data ? {} : skipToken, {
      onData: ({ data: order }) => {
        putOrder(queryClient, trpc, order);
        onUpdate?.(order);
      },
    }),
  );
}
