import { type Address, addressSchema } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useRef, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { SignInLink } from '../components/SignInLink.tsx';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';

const FIELDS: { name: keyof Address; label: string; autoComplete: string; optional?: boolean }[] = [
  { name: 'name', label: 'Full name', autoComplete: 'name' },
  { name: 'line1', label: 'Address', autoComplete: 'address-line1' },
  { name: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2', optional: true },
  { name: 'city', label: 'City', autoComplete: 'address-level2' },
  { name: 'postalCode', label: 'Postal code', autoComplete: 'postal-code' },
  { name: 'country', label: 'Country code (e.g. DE)', autoComplete: 'country' },
];

export default function CheckoutPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const me = useQuery(trpc.auth.me.queryOptions());
  const cart = useQuery(trpc.cart.get.queryOptions());
  const [errors, setErrors] = useState<Partial<Record<keyof Address, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  // One key per attempt: a retry after a network failure reuses it, so it cannot order twice.
  const attemptKey = useRef<string | null>(null);
  const place = useMutation(
    trpc.checkout.placeOrder.mutationOptions({
      onSuccess: async (order) => {
        attemptKey.current = null;
        await queryClient.invalidateQueries({ queryKey: trpc.cart.get.queryKey() });
        navigate(`/orders/${order.id}`);
      },
      onError: (error) => {
        // Only a request that may not have arrived is retried with the same key.
        if (error.data?.code) attemptKey.current = null;
        setFailure(error.data?.code ? error.message : `Network problem: ${error.message}. Try again; you will not be charged twice.`);
      },
    }),
  );

  if (me.isPending || cart.isPending) return <p className="status">Loading…</p>;
  if (!me.data) {
    return (
      <section className="empty">
        <h1>Sign in to check out</h1>
        <SignInLink />
      </section>
    );
  }
  if (!cart.data || cart.data.lines.length === 0) {
    return (
      <section className="empty">
        <h1>Your cart is empty</h1>
        <Link href="/">Continue shopping</Link>
      </section>
    );
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFailure(null);
    const form = new FormData(event.currentTarget);
    const parsed = addressSchema.safeParse(Object.fromEntries(FIELDS.map((f) => [f.name, String(form.get(f.name) ?? '')])));
    if (!parsed.success) {
      // The server's own schema, field by field.
      const fieldErrors: Partial<Record<keyof Address, string>> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof Address;
        fieldErrors[key] ??= issue.message;
      }
      setErrors(fieldErrors);
      return;
    }
    setErrors({});
    attemptKey.current ??= crypto.randomUUID();
    place.mutate({ idempotencyKey: attemptKey.current, shippingAddress: parsed.data });
  }

  return (
    <section className="checkout">
      <h1>Checkout</h1>
      <p>
        {cart.data.itemCount} {cart.data.itemCount === 1 ? 'item' : 'items'}, {formatPrice(cart.data.subtotalCents, cart.data.currency)}
      </p>
      <form onSubmit={submit} noValidate>
        {FIELDS.map((field) => (
          <div key={field.name} className="field">
            <label htmlFor={`address-${field.name}`}>{field.label}</label>
            <input
              id={`address-${field.name}`}
              name={field.name}
              autoComplete={field.autoComplete}
              aria-invalid={errors[field.name] ? true : undefined}
              aria-describedby={errors[field.name] ? `${field.name}-error` : undefined}
            />
            {errors[field.name] && (
              <span id={`${field.name}-error`} className="form-error">
                {errors[field.name]}
              </span>
            )}
          </div>
        ))}
        {failure && (
          <p role="alert" className="form-error">
            {failure}
          </p>
        )}
        <button type="submit" disabled={place.isPending}>
          {place.isPending ? 'Placing order…' : 'Place order'}
        </button>
      </form>
    </section>
  );
}
