import type { VariantOptions } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { CartCode } from '../components/CartCode.tsx';
import { OptionsLabel } from '../components/OptionsLabel.tsx';
import { useToast } from '../components/Toasts.tsx';
import { Totals } from '../components/Totals.tsx';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';

/** The product page's address for a line's options (`?Size=M`), so its link shows that variant. */
function optionsSearch(options: VariantOptions): string {
  const search = new URLSearchParams(options).toString();
  return search ? `?${search}` : '';
}

export default function CartPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const cart = useQuery(trpc.cart.get.queryOptions());
  const onSuccess = (next: NonNullable<typeof cart.data>) => queryClient.setQueryData(trpc.cart.get.queryKey(), next);
  const onError = (e: { message: string }) => toast(e.message, 'error');
  const update = useMutation(trpc.cart.update.mutationOptions({ onSuccess, onError }));
  const remove = useMutation(trpc.cart.remove.mutationOptions({ onSuccess, onError }));

  if (cart.isPending) return <p className="status">Loading…</p>;
  if (cart.isError) return <p role="alert">Could not load your cart: {cart.error.message}</p>;
  const { lines, currency, itemCount } = cart.data;
  if (lines.length === 0) {
    return (
      <section className="empty">
        <h1>Your cart is empty</h1>
        <Link href="/">Continue shopping</Link>
      </section>
    );
  }
  return (
    <section className="cart">
      <h1>Cart</h1>
      <ul className="cart-lines">
        {lines.map((line) => (
          <li key={line.variantId}>
            <img src={line.imageUrl} alt="" width={64} height={64} />
            <span>
              <Link href={`/p/${line.slug}${optionsSearch(line.options)}`}>{line.name}</Link>
              <OptionsLabel options={line.options} />
            </span>
            <label>
              <span className="visually-hidden">
                Quantity of {line.name}
                <OptionsLabel options={line.options} />
              </span>
              <select
                value={line.quantity}
                onChange={(e) => update.mutate({ productId: line.productId, variantId: line.variantId, quantity: Number(e.target.value) })}
              >
                {Array.from({ length: Math.max(1, Math.min(99, Math.max(line.stock, line.quantity))) }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
            <span className="price">{formatPrice(line.lineTotalCents, currency)}</span>
            <button
              type="button"
              className="link-button"
              onClick={() => remove.mutate({ productId: line.productId, variantId: line.variantId })}
            >
              Remove
              <span className="visually-hidden">
                {' '}
                {line.name}
                <OptionsLabel options={line.options} />
              </span>
            </button>
          </li>
        ))}
      </ul>
      <div className="cart-summary">
        <CartCode cart={cart.data} />
        <div>
          <p className="muted">
            {itemCount} {itemCount === 1 ? 'item' : 'items'}
          </p>
          <Totals {...cart.data} />
        </div>
      </div>
      <Link href="/checkout" className="button-link">
        Check out
      </Link>
    </section>
  );
}
