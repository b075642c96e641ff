import { type Address, addressSchema, type Cart, COUNTRY_CODES } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useMemo, useRef, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { OptionsLabel } from '../components/OptionsLabel.tsx';
import { SignInLink } from '../components/SignInLink.tsx';
import { Totals } from '../components/Totals.tsx';
import { formatPrice } from '../lib/format.ts';
import { codeProblemText } from '../lib/promotion.ts';
import { useTRPC } from '../lib/trpc.ts';

const FIELDS: { name: Exclude<keyof Address, 'country'>; label: string; autoComplete: string }[] = [
  { name: 'name', label: 'Full name', autoComplete: 'name' },
  { name: 'line1', label: 'Address', autoComplete: 'address-line1' },
  { name: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2' },
  { name: 'city', label: 'City', autoComplete: 'address-level2' },
  { name: 'postalCode', label: 'Postal code', autoComplete: 'postal-code' },
];

/** Every country the server accepts, by its name in the browser's language, sorted by that name. */
function useCountries(): { code: string; name: string }[] {
  return useMemo(() => {
    const names = new Intl.DisplayNames(navigator.languages, { type: 'region' });
    return [...COUNTRY_CODES]
      .map((code) => ({ code, name: names.of(code) ?? code }))
      .sort((a, b) => a.name.localeCompare(b.name, navigator.languages));
  }, []);
}

/** The browser's own region (en-GB → GB), the likeliest country for a first order. */
function browserCountry(): string {
  try {
    const region = new Intl.Locale(navigator.language).maximize().region;
    return region && COUNTRY_CODES.has(region) ? region : '';
  } catch {
    return '';
  }
}

function OrderSummary({ cart }: { cart: Cart }) {
  return (
    <aside className="order-summary" aria-labelledby="summary-title">
      <h2 id="summary-title">Order summary</h2>
      <ul>
        {cart.lines.map((line) => (
          <li key={line.variantId}>
            <span>
              {line.quantity} × {line.name}
              <OptionsLabel options={line.options} />
            </span>
            <span>{formatPrice(line.lineTotalCents, cart.currency)}</span>
          </li>
        ))}
      </ul>
      <Totals {...cart} />
      {cart.code && cart.codeProblem && (
        <p className="form-error">
          {codeProblemText(cart.code, cart.codeProblem, cart.subtotalCents, cart.currency)} <Link href="/cart">Change the cart</Link>
        </p>
      )}
    </aside>
  );
}

export default function CheckoutPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const me = useQuery(trpc.auth.me.queryOptions());
  const cart = useQuery(trpc.cart.get.queryOptions());
  // The address of the last order fills the form: kept by the server for the account, on any
  // device, and never left behind in the browser after signing out.
  const lastOrder = useQuery(trpc.orders.list.queryOptions({ limit: 1 }, { enabled: Boolean(me.data) }));
  const countries = useCountries();
  const [errors, setErrors] = useState<Partial<Record<keyof Address, string>>>({});
  const [failure, setFailure] = useState<string | null>(null);
  // One key per attempt: a retry after a network failure reuses it, so it cannot order twice.
  const attemptKey = useRef<string | null>(null);
  const place = useMutation(
    trpc.checkout.placeOrder.mutationOptions({
      onSuccess: async (order) => {
        attemptKey.current = null;
        await queryClient.invalidateQueries({ queryKey: trpc.cart.get.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.orders.list.pathKey() });
        navigate(`/orders/${order.id}`);
      },
      onError: (error) => {
        // Only a request that may not have arrived is retried with the same key.
        if (error.data?.code) attemptKey.current = null;
        // Refused for stock or the code: show the cart as the server has it now.
        if (error.data?.code === 'CONFLICT') void queryClient.invalidateQueries({ queryKey: trpc.cart.get.queryKey() });
        setFailure(error.data?.code ? error.message : `Network problem: ${error.message}. Try again; you will not be charged twice.`);
      },
    }),
  );

  if (me.isPending || cart.isPending || (me.data && lastOrder.isPending)) return <p className="status">Loading…</p>;
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
  const saved = lastOrder.data?.items[0]?.shippingAddress;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFailure(null);
    const form = new FormData(event.currentTarget);
    const names = [...FIELDS.map((f) => f.name), 'country'];
    const parsed = addressSchema.safeParse(Object.fromEntries(names.map((name) => [name, String(form.get(name) ?? '')])));
    if (!parsed.success) {
      // The server's own schema, field by field.
      const fieldErrors: Partial<Record<keyof Address, string>> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path[0] as keyof Address;
        fieldErrors[key] ??= key === 'country' ? 'Choose a country.' : issue.message;
      }
      setErrors(fieldErrors);
      return;
    }
    setErrors({});
    attemptKey.current ??= crypto.randomUUID();
    place.mutate({ idempotencyKey: attemptKey.current, shippingAddress: parsed.data });
  }

  const describedBy = (name: keyof Address) => (errors[name] ? `${name}-error` : undefined);
  const fieldError = (name: keyof Address) =>
    errors[name] && (
      <span id={`${name}-error`} className="form-error">
        {errors[name]}
      </span>
    );
  return (
    <section className="checkout">
      <h1>Checkout</h1>
      <div className="checkout-columns">
        <form onSubmit={submit} noValidate aria-label="Shipping address">
          {saved && <p className="muted">The address of your last order; change anything that is different.</p>}
          {FIELDS.map((field) => (
            <div key={field.name} className="field">
              <label htmlFor={`address-${field.name}`}>{field.label}</label>
              <input
                id={`address-${field.name}`}
                name={field.name}
                autoComplete={field.autoComplete}
                defaultValue={saved?.[field.name] ?? ''}
                aria-invalid={errors[field.name] ? true : undefined}
                aria-describedby={describedBy(field.name)}
              />
              {fieldError(field.name)}
            </div>
          ))}
          <div className="field">
            <label htmlFor="address-country">Country</label>
            <select
              id="address-country"
              name="country"
              autoComplete="country"
              defaultValue={saved?.country ?? browserCountry()}
              aria-invalid={errors.country ? true : undefined}
              aria-describedby={describedBy('country')}
            >
              <option value="">Choose a country</option>
              {countries.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
            {fieldError('country')}
          </div>
          {failure && (
            <p role="alert" className="form-error">
              {failure}
            </p>
          )}
          <button type="submit" disabled={place.isPending}>
            {place.isPending ? 'Placing order…' : 'Place order'}
          </button>
        </form>
        <OrderSummary cart={cart.data} />
      </div>
    </section>
  );
}
