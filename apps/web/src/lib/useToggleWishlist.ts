import type { ProductSummary } from '@shop/schemas';
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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

/** Toggles in flight, per cache: answers that overlapped may arrive in any order. */
const inFlight = new WeakMap<QueryClient, { count: number; overlapped: boolean }>();
function togglesOf(queryClient: QueryClient) {
  let toggles = inFlight.get(queryClient);
  if (!toggles) {
    toggles = { count: 0, overlapped: false };
    inFlight.set(queryClient, toggles);
  }
  return toggles;
}

/**
 * Saves or unsaves optimistically: the heart fills at once, and empties again with a message if
 * the server refuses. Each answer is the whole list as the server saw it then, so when toggles
 * overlap none of their answers can be trusted to be the last word: once the last one settles,
 * the list is fetched afresh instead.
 */
export function useToggleWishlist() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const listKey = trpc.wishlist.list.queryKey();
  return useMutation({
    mutationFn: ({ product, save }: ToggleWishlist) =>
      save ? client.wishlist.add.mutate({ productId: product.id }) : client.wishlist.remove.mutate({ productId: product.id }),
    onMutate: async (vars) => {
      const toggles = togglesOf(queryClient);
      toggles.count++;
      if (toggles.count > 1) toggles.overlapped = true;
      // A fetch still on its way predates this toggle: its answer would undo it.
      await queryClient.cancelQueries({ queryKey: listKey });
      queryClient.setQueryData<ProductSummary[]>(listKey, (list) => list && withToggled(list, vars));
    },
    onError: (error, { product, save }) => {
      // Undo this toggle only: others may have changed the list since.
      queryClient.setQueryData<ProductSummary[]>(listKey, (list) => list && withToggled(list, { product, save: !save }));
      toast(`Could not ${save ? 'save to' : 'remove from'} your wishlist: ${error.message}`, 'error');
    },
    onSettled: (list) => {
      const toggles = togglesOf(queryClient);
      toggles.count--;
      if (toggles.count > 0) return;
      const overlapped = toggles.overlapped;
      toggles.overlapped = false;
      if (list && !overlapped) queryClient.setQueryData(listKey, list);
      else void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}
