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
  // Set once sign-in answers that this account needs its second factor: the form asks for a code.
  const [factor, setFactor] = useState<'totp' | 'recoveryCode' | null>(null);
  const reconnectLive = useReconnectLive();
  const onSuccess = async () => {
    reconnectLive();
    // The session changed: identity, cart (merged) and everything else are refetched.
    await queryClient.invalidateQueries();
    // Replaces the form in history: Back should not land on a sign-in form once signed in.
    navigate(next, { replace: true });
  };
  const onError = (e: { message: string }) => setError(e.message);
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess,
      onError(e) {
        if (e.data?.reason === 'MFA_REQUIRED') setFactor((current) => current ?? 'totp');
        onError(e);
      },
    }),
  );
  const register = useMutation(trpc.auth.register.mutationOptions({ onSuccess, onError }));
  const pending = login.isPending || register.isPending;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    const code = String(form.get('code') ?? '').trim();
    if (mode === 'signin') login.mutate({ email, password, ...(factor && code ? { [factor]: code } : {}) });
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
        {factor && (
          <fieldset className="second-factor">
            <legend>Two-step sign-in</legend>
            {factor === 'totp' ? (
              <label>
                Authentication code
                <input
                  key="totp"
                  name="code"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="\d{6}"
                  maxLength={6}
                  placeholder="6 digits from your app"
                  required
                  // biome-ignore lint/a11y/noAutofocus: the field appears because the user must fill it next
                  autoFocus
                />
              </label>
            ) : (
              <label>
                Recovery code
                <input key="recovery" name="code" autoComplete="off" maxLength={64} required />
              </label>
            )}
            <button type="button" className="link-button" onClick={() => setFactor(factor === 'totp' ? 'recoveryCode' : 'totp')}>
              {factor === 'totp' ? 'Use a recovery code instead' : 'Use the code from your app'}
            </button>
          </fieldset>
        )}
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
