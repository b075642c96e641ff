import type { MfaSetup } from '@shop/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, lazy, Suspense, useState } from 'react';
import { useTRPC } from '../../lib/trpc.ts';

const QrCode = lazy(() => import('./QrCode.tsx'));

const codeOf = (event: FormEvent<HTMLFormElement>) => String(new FormData(event.currentTarget).get('code') ?? '').trim();

/**
 * The staff account's second factor: set up (QR code and secret), confirm with a code (recovery
 * codes are shown this once), or turn it off with a code.
 */
export function MfaPanel({ enrolled }: { enrolled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [setup, setSetup] = useState<MfaSetup | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Enrolment changes what admin calls answer: refetch identity and everything staff see.
  const changed = () => queryClient.invalidateQueries();
  const onError = (e: { message: string }) => setError(e.message);
  const start = useMutation(trpc.auth.mfa.setup.mutationOptions({ onSuccess: setSetup, onError }));
  const enable = useMutation(
    trpc.auth.mfa.enable.mutationOptions({
      onSuccess: async (result) => {
        setSetup(null);
        setRecoveryCodes(result.recoveryCodes);
        await changed();
      },
      onError,
    }),
  );
  const disable = useMutation(trpc.auth.mfa.disable.mutationOptions({ onSuccess: changed, onError }));

  const submit = (action: (code: string) => void) => (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    action(codeOf(event));
  };

  return (
    <section className="staff-section mfa-panel" aria-labelledby="staff-mfa">
      <h2 id="staff-mfa">Second factor</h2>
      {recoveryCodes && (
        <div role="status">
          <p>
            Two-step sign-in is on. Keep these recovery codes somewhere safe: each signs you in once without your phone, and they are not
            shown again.
          </p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {recoveryCodes.map((code) => (
              <li key={code}>
                <code>{code}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setRecoveryCodes(null)}>
            I have saved them
          </button>
        </div>
      )}
      {!recoveryCodes && enrolled && (
        <form aria-label="Turn off two-step sign-in" onSubmit={submit((code) => disable.mutate({ code }))}>
          <p>Two-step sign-in is on for this account.</p>
          <label>
            Code or recovery code
            <input name="code" autoComplete="one-time-code" required maxLength={64} />
          </label>
          <button type="submit" disabled={disable.isPending}>
            Turn off
          </button>
        </form>
      )}
      {!recoveryCodes && !enrolled && !setup && (
        <>
          <p>Protect this staff account with codes from an authenticator app.</p>
          <button type="button" onClick={() => start.mutate()} disabled={start.isPending}>
            Set up two-step sign-in
          </button>
        </>
      )}
      {!enrolled && setup && (
        <form aria-label="Confirm two-step sign-in" onSubmit={submit((code) => enable.mutate({ code }))}>
          <p>Scan this code with your authenticator app, or enter the secret by hand.</p>
          <Suspense fallback={<span className="qr-code skeleton-line" aria-busy="true" />}>
            <QrCode value={setup.otpauthUri} label="QR code for your authenticator app" />
          </Suspense>
          <p>
            Secret: <code>{setup.secret}</code>
          </p>
          <label>
            Code from the app
            <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} required />
          </label>
          <button type="submit" disabled={enable.isPending}>
            Turn on
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
    </section>
  );
}
