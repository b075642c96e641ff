import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { authHref, useNext } from '../lib/signin.ts';
import { useReconnectLive, useTRPC } from '../lib/trpc.ts';

/** Sign in and sign up: one form, two procedures. */
export default function AuthPage({ mode }: { mode: 'signin' | 'signup' }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  // Back to the page that sent the shopper here, if it is one of ours.
  const next = useNext();
  const [error, setError] = useState<string | null>(null);
  const reconnectLive = useReconnectLive();
  const onSuccess = async () => {
    reconnectLive();
    // The session changed: identity, cart (merged) and everything else are refetched.
    await queryClient.invalidateQueries();
    // Replaces the form in history: Back should not land on a sign-in form once signed in.
    navigate(next, { replace: true });
  };
  const onError = (e: { message: string }) => setError(e.message);
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess, onError }));
  const register = useMutation(trpc.auth.register.mutationOptions({ onSuccess, onError }));
  const pending = login.isPending || register.isPending;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    if (mode === 'signin') login.mutate({ email, password });
    else register.mutate({ email, password, name: String(form.get('name') ?? '') });
  }

  return (
    <section className="auth">
      <h1>{mode === 'signin' ? 'Sign in' : 'Create an account'}</h1>
      <form onSubmit={submit} noValidate>
        {mode === 'signup' && (
          <label>
            Name
            <input name="name" autoComplete="name" required maxLength={80} />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
            required
            minLength={8}
          />
        </label>
        {error && (
          <p role="alert" className="form-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={pending}>
          {mode === 'signin' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <p>
        {mode === 'signin' ? (
          <Link href={authHref(next, 'signup')}>New here? Create an account</Link>
        ) : (
          <Link href={authHref(next)}>Have an account? Sign in</Link>
        )}
      </p>
    </section>
  );
}
