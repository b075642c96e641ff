import type { Cart, ProductSummary, Variant } from '@shop/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useLocation } from 'wouter';
import { useToast } from '../components/Toasts.tsx';
import { useTRPC, useTRPCClient } from './trpc.ts';

interface AddToCart {
  product: ProductSummary;
  /** Needed for a product with several variants; the server picks a product's only one. */
  variant?: Variant;
  quantity?: number;
}

/** The cart as it will be once the server agrees: one more line, or a bigger one. */
export function withAdded(cart: Cart, { product, variant, quantity = 1 }: AddToCart): Cart {
  const existing = cart.lines.find((l) => (variant ? l.variantId === variant.id : l.productId === product.id));
  const lines = existing
    ? cart.lines.map((l) =>
        l === existing ? { ...l, quantity: l.quantity + quantity, lineTotalCents: (l.quantity + quantity) * l.priceCents } : l,
      )
    : [
        ...cart.lines,
        {
          productId: product.id,
          // Until the server's cart replaces this one, a line without a variant named has id 0.
          variantId: variant?.id ?? 0,
          sku: variant?.sku ?? '',
          options: variant?.options ?? {},
          slug: product.slug,
          name: product.name,
          imageUrl: product.imageUrl,
          priceCents: variant?.priceCents ?? product.priceCents,
          quantity,
          stock: variant?.stock ?? product.stock,
          lineTotalCents: (variant?.priceCents ?? product.priceCents) * quantity,
        },
      ];
  const price = existing?.priceCents ?? variant?.priceCents ?? product.priceCents;
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
  const [, navigate] = useLocation();
  const cartKey = trpc.cart.get.queryKey();
  return useMutation({
    mutationFn: ({ product, variant, quantity = 1 }: AddToCart) =>
      client.cart.add.mutate({ productId: product.id, ...(variant ? { variantId: variant.id } : {}), quantity }),
    onMutate: async (vars) => {
      await queryClient.cancelQueries({ queryKey: cartKey });
      const previous = queryClient.getQueryData<Cart>(cartKey);
      if (previous) queryClient.setQueryData<Cart>(cartKey, withAdded(previous, vars));
      return { previous };
    },
    onError: (error, vars, context) => {
      if (context?.previous) queryClient.setQueryData(cartKey, context.previous);
      // A product with several variants (added from a list that does not offer them): its page does.
      if (error instanceof TRPCClientError && error.data?.reason === 'VARIANT_REQUIRED') {
        toast(`Choose the options of ${vars.product.name} first`, 'info');
        navigate(`/p/${vars.product.slug}`);
        return;
      }
      toast(`Could not add to cart: ${error.message}`, 'error');
    },
    onSuccess: (cart) => queryClient.setQueryData(cartKey, cart),
  });
}
