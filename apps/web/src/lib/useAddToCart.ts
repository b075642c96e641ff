import type { Cart, ProductSummary } from '@shop/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../components/Toasts.tsx';
import { useTRPC, useTRPCClient } from './trpc.ts';

interface AddToCart {
  product: ProductSummary;
  quantity?: number;
}

/** The cart as it will be once the server agrees: one more line, or a bigger one. */
export function withAdded(cart: Cart, { product, quantity = 1 }: AddToCart): Cart {
  const existing = cart.lines.find((l) => l.productId === product.id);
  const lines = existing
    ? cart.lines.map((l) =>
        l === existing ? { ...l, quantity: l.quantity + quantity, lineTotalCents: (l.quantity + quantity) * l.priceCents } : l,
      )
    : [
        ...cart.lines,
        {
          productId: product.id,
          slug: product.slug,
          name: product.name,
          imageUrl: product.imageUrl,
          priceCents: product.priceCents,
          quantity,
          stock: product.stock,
          lineTotalCents: product.priceCents * quantity,
        },
      ];
  const price = existing?.priceCents ?? product.priceCents;
  // The discount stays as it was until the server's cart replaces this one.
  const added = price * quantity;
  return {
    ...cart,
    lines,
    itemCount: cart.itemCount + quantity,
    subtotalCents: cart.subtotalCents + added,
    totalCents: cart.totalCents + added,
  };
}

/**
 * Adds to the cart optimistically: the badge and the cart change at once, and roll back with a
 * message if the server refuses (sold out, too many).
 */
export function useAddToCart() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const cartKey = trpc.cart.get.queryKey();
  return useMutation({
    mutationFn: ({ product, quantity = 1 }: AddToCart) => client.cart.add.mutate({ productId: product.id, quantity }),
    onMutate: async (vars) => {
      await queryClient.cancelQueries({ queryKey: cartKey });
      const previous = queryClient.getQueryData<Cart>(cartKey);
      if (previous) queryClient.setQueryData<Cart>(cartKey, withAdded(previous, vars));
      return { previous };
    },
    onError: (error, _vars, context) => {
      if (context?.previous) queryClient.setQueryData(cartKey, context.previous);
      toast(`Could not add to cart: ${error.message}`, 'error');
    },
    onSuccess: (cart) => queryClient.setQueryData(cartKey, cart),
  });
}
