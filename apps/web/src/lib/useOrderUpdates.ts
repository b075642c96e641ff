import type { Order, Page } from '@shop/schemas';
import { type InfiniteData, skipToken, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from './trpc.ts';

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
        queryClient.setQueryData(trpc.orders.byId.queryKey({ id: order.id }), order);
        queryClient.setQueriesData<InfiniteData<Page<Order>>>({ queryKey: trpc.orders.list.pathKey() }, (old) =>
          old?.pages
            ? { ...old, pages: old.pages.map((page) => ({ ...page, items: page.items.map((o) => (o.id === order.id ? order : o)) })) }
            : old,
        );
        onUpdate?.(order);
      },
    }),
  );
}
