import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { categories, page, product } from '../test/fixtures.ts';
import { type Resolvers, server, TrpcFailure, trpc } from '../test/msw.ts';
import { renderApp } from '../test/render.tsx';

const USER = { id: 'u1', email: 'sam@example.test', name: 'Sam', role: 'shopper' as const, mfa: false };

/** auth.login signs the shopper in; auth.me answers null until it has. */
function signInAs(user: typeof USER): Resolvers {
  let signedIn = false;
  return {
    'auth.login': () => {
      signedIn = true;
      return user;
    },
    'auth.me': () => (signedIn ? user : null),
  };
}

async function fill(email: string, password: string) {
  await userEvent.type(await screen.findByLabelText('Email'), email);
  await userEvent.type(screen.getByLabelText('Password'), password);
  await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('AuthPage', () => {
  it('shows the server’s reason when sign-in fails, and stays signed out', async () => {
    server.use(...trpc({ 'auth.login': () => new TrpcFailure('UNAUTHORIZED', 'invalid email or password', 401) }));
    renderApp('/signin');
    await fill('sam@example.test', 'wrong password');
    expect((await screen.findByRole('alert')).textContent).toBe('invalid email or password');
    expect(screen.getByRole('link', { name: 'Sign in' })).toBeTruthy();
  });

  it('shows why the server refused a new password, and stays on the sign-up form', async () => {
    const reason = 'password is too easy to guess: This is a commonly used password. Add more words that are less common.';
    server.use(...trpc({ 'auth.register': () => new TrpcFailure('BAD_REQUEST', reason, 400) }));
    const { location } = renderApp('/signup');
    await userEvent.type(await screen.findByLabelText('Name'), 'Sam');
    await userEvent.type(screen.getByLabelText('Email'), 'sam@example.test');
    await userEvent.type(screen.getByLabelText('Password'), 'password123');
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect((await screen.findByRole('alert')).textContent).toBe(reason);
    expect(location.history?.at(-1)).toBe('/signup');
  });

  it('signs in, refetches who is signed in, and goes to the shop', async () => {
    let signedIn = false;
    server.use(
      ...trpc({
        'auth.login': (input) => {
          expect(input).toEqual({ email: 'sam@example.test', password: 'right password' });
          signedIn = true;
          return USER;
        },
        'auth.me': () => (signedIn ? USER : null),
        'catalog.categories': () => categories,
        'catalog.list': () => page([1]),
      }),
    );
    const { location } = renderApp('/signin');
    await fill('sam@example.test', 'right password');
    await waitFor(() => expect(location.history?.at(-1)).toBe('/'));
    expect(await screen.findByText('Sam')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Sign out' })).toBeTruthy();
  });

  it('comes back to the page that asked the shopper to sign in', async () => {
    server.use(
      ...trpc({
        ...signInAs(USER),
        'wishlist.list': () => [product(4)],
      }),
    );
    const { location } = renderApp('/wishlist');
    await screen.findByRole('heading', { name: 'Sign in to see your wishlist' });
    const prompt = screen.getAllByRole('link', { name: 'Sign in' });
    expect(prompt.map((link) => link.getAttribute('href'))).toEqual(['/signin?next=%2Fwishlist', '/signin?next=%2Fwishlist']);
    await userEvent.click(prompt[1] as HTMLElement);
    expect(screen.getByRole('link', { name: 'New here? Create an account' }).getAttribute('href')).toBe('/signup?next=%2Fwishlist');
    await fill('sam@example.test', 'right password');
    await waitFor(() => expect(location.history?.at(-1)).toBe('/wishlist'));
    expect(await screen.findByText('Product 4')).toBeTruthy();
  });

  it.each(['https://evil.test/', '//evil.test/', '/\\evil.test'])('goes to the shop, not to %s', async (next) => {
    server.use(
      ...trpc({
        ...signInAs(USER),
        'catalog.categories': () => categories,
        'catalog.list': () => page([1]),
      }),
    );
    const { location } = renderApp(`/signin?next=${encodeURIComponent(next)}`);
    await fill('sam@example.test', 'right password');
    await waitFor(() => expect(location.history?.at(-1)).toBe('/'));
  });

  it('asks for the authenticator code when the account needs it, and signs in with it', async () => {
    const logins: unknown[] = [];
    let signedIn = false;
    const staff = { ...USER, role: 'staff' as const, mfa: true };
    server.use(
      ...trpc({
        'auth.login': (input) => {
          logins.push(input);
          if (input.totp !== '123456')
            return new TrpcFailure('UNAUTHORIZED', 'enter the code from your authenticator app', 401, 'MFA_REQUIRED');
          signedIn = true;
          return staff;
        },
        'auth.me': () => (signedIn ? staff : null),
        'catalog.categories': () => categories,
        'catalog.list': () => page([1]),
      }),
    );
    const { location } = renderApp('/signin');
    await fill('kim@shop.test', 'right password');
    const code = await screen.findByLabelText('Authentication code');
    expect(screen.getByRole('alert').textContent).toBe('enter the code from your authenticator app');
    await userEvent.type(code, '123456');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(location.history?.at(-1)).toBe('/'));
    expect(logins).toEqual([
      { email: 'kim@shop.test', password: 'right password' },
      { email: 'kim@shop.test', password: 'right password', totp: '123456' },
    ]);
  });

  it('takes a recovery code instead of the authenticator code', async () => {
    const logins: unknown[] = [];
    server.use(
      ...trpc({
        'auth.login': (input) => {
          logins.push(input);
          return input.recoveryCode
            ? USER
            : new TrpcFailure('UNAUTHORIZED', 'enter the code from your authenticator app', 401, 'MFA_REQUIRED');
        },
        'catalog.categories': () => categories,
        'catalog.list': () => page([1]),
      }),
    );
    renderApp('/signin');
    await fill('kim@shop.test', 'right password');
    await userEvent.click(await screen.findByRole('button', { name: 'Use a recovery code instead' }));
    await userEvent.type(screen.getByLabelText('Recovery code'), 'abcd-efgh-jkmn-pqrs');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(logins).toHaveLength(2));
    expect(logins[1]).toEqual({ email: 'kim@shop.test', password: 'right password', recoveryCode: 'abcd-efgh-jkmn-pqrs' });
  });

  it('asks for no code after a plain wrong password', async () => {
    server.use(...trpc({ 'auth.login': () => new TrpcFailure('UNAUTHORIZED', 'invalid email or password', 401) }));
    renderApp('/signin');
    await fill('kim@shop.test', 'wrong password');
    await screen.findByRole('alert');
    expect(screen.queryByLabelText('Authentication code')).toBeNull();
  });
});
