import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { useReconnectLive, useTRPC } from '../lib/trpc.ts';
import { SignInLink } from './SignInLink.tsx';

export function Header() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const reconnectLive = useReconnectLive();
  const me = useQuery(trpc.auth.me.queryOptions());
  const cart = useQuery(trpc.cart.get.queryOptions());
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: async () => {
        // Everything cached belonged to the signed-in user.
        queryClient.clear();
        reconnectLive();
        navigate('/');
      },
    }),
  );
  const count = cart.data?.itemCount ?? 0;
  return (
    <header className="site-header">
      <Link href="/" className="brand">
        Shop
      </Link>
      <nav aria-label="Account" className="account">
        {me.data ? (
          <>
            <Link href="/orders">Orders</Link>
            <Link href="/wishlist">Wishlist</Link>
            <Link href="/chat">Chat</Link>
            {me.data.role === 'staff' && <Link href="/staff">Staff</Link>}
            <span className="who">{me.data.name}</span>
            <button type="button" className="link-button" onClick={() => logout.mutate()} disabled={logout.isPending}>
              Sign out
            </button>
          </>
        ) : (
          <SignInLink />
        )}
        <Link href="/cart" className="cart-link" aria-label={`Cart, ${count} ${count === 1 ? 'item' : 'items'}`}>
          Cart <span className="badge">{count}</span>
        </Link>
      </nav>
    </header>
  );
}
