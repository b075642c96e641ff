import type { ProductSummary } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toasts.tsx';
import { useTRPC, useTRPCClient } from './trpc.ts';

interface ToggleWishlist {
  product: ProductSummary;
  /** What the shopper wants: saved (add) or not (remove). */
  save: boolean;
}

/** The wishlist as it will be once the server agrees. */
export function withToggled(list: ProductSummary[], { product, save }: ToggleWishlist): ProductSummary[] {
  const rest = list.filter((p) => p.id !== product.id);
  // The server lists the newest save first.
  return save ? [product, ...rest] : rest;
}

/**
 * The signed-in shopper's wishlist; `null` while nobody is signed in, `undefined` while unknown.
 * Shared by every toggle on a page: one request, however many cards.
 */
export function useWishlist() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const signedIn = Boolean(me.data);
  const list = useQuery(trpc.wishlist.list.queryOptions(undefined, { enabled: signedIn }));
  return {
    me,
    list,
    items: me.isPending ? undefined : signedIn ? list.data : null,
    has: (productId: number) => list.data?.some((p) => p.id === productId) ?? false,
  };
}

/**
 * Saves or unsaves optimistically: the heart fills at once, and empties again with a message if
 * the server refuses.
 */
export function useToggleWishlist() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const listKey = trpc.wishlist.list.queryKey();
  const mutationKey = ['wishlist.toggle'];
  return useMutation({
    mutationKey,
    mutationFn: ({ product, save }: ToggleWishlist) =>
      save ? client.wishlist.add.mutate({ productId: product.id }) : client.wishlist.remove.mutate({ productId: product.id }),
    onMutate: async (vars) => {
      await queryClient.cancelQueries({ queryKey: listKey });
      const previous = queryClient.getQueryData<ProductSummary[]>(listKey);
      if (previous) queryClient.setQueryData<ProductSummary[]>(listKey, withToggled(previous, vars));
      return { previous };
    },
    onError: (error, { save }, context) => {
      if (context?.previous) queryClient.setQueryData(listKey, context.previous);
      toast(`Could not ${save ? 'save to' : 'remove from'} your wishlist: ${error.message}`, 'error');
    },
    onSuccess: (list) => {
      // A later toggle still in flight holds the newer optimistic list: the last answer settles it.
      if (queryClient.isMutating({ mutationKey }) === 1) queryClient.setQueryData(listKey, list);
    },
  });
}
