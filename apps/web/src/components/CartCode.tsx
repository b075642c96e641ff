import { applyCodeInput, type Cart } from '@shop/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { codeProblemText } from '../lib/promotion.ts';
import { useTRPC } from '../lib/trpc.ts';

/** The cart's promotion code: a field to apply one, or the one applied with a way to remove it. */
export function CartCode({ cart }: { cart: Cart }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const onSuccess = (next: Cart) => {
    setError(null);
    setTyped('');
    queryClient.setQueryData(trpc.cart.get.queryKey(), next);
  };
  const onError = (e: { message: string }) => setError(e.message);
  const apply = useMutation(trpc.cart.applyCode.mutationOptions({ onSuccess, onError }));
  const remove = useMutation(trpc.cart.removeCode.mutationOptions({ onSuccess, onError }));

  if (cart.code !== null) {
    return (
      <div className="cart-code">
        <p>
          Code <strong>{cart.code}</strong> applied.{' '}
          <button type="button" className="link-button" onClick={() => remove.mutate()} disabled={remove.isPending}>
            Remove<span className="visually-hidden"> code {cart.code}</span>
          </button>
        </p>
        {cart.codeProblem && (
          <p className="form-error" role="status">
            {codeProblemText(cart.code, cart.codeProblem, cart.subtotalCents, cart.currency)}
          </p>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    // The server's own rule first, so a typo is explained without a round trip.
    const parsed = applyCodeInput.safeParse({ code: typed });
    if (!parsed.success) {
      setError(typed.trim() ? 'A code is 3 to 32 letters or digits (hyphens and underscores allowed).' : 'Enter a code.');
      return;
    }
    apply.mutate(parsed.data);
  }

  return (
    <form className="cart-code" onSubmit={submit} noValidate>
      <label htmlFor="promotion-code">Promotion code</label>
      <div className="cart-code-row">
        <input
          id="promotion-code"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          autoCapitalize="characters"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'promotion-code-error' : undefined}
        />
        <button type="submit" disabled={apply.isPending}>
          {apply.isPending ? 'Applying…' : 'Apply'}
        </button>
      </div>
      {error && (
        <p id="promotion-code-error" className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
