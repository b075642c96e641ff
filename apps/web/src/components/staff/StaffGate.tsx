import type { User } from '@shop/schemas';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { useTRPC } from '../../lib/trpc.ts';
import { SignInLink } from '../SignInLink.tsx';

/**
 * Renders a staff page for staff only. The server refuses every admin call from anyone else
 * (FORBIDDEN); this only spares the attempt.
 */
export function StaffGate({ label, children }: { label: string; children: (me: User) => ReactNode }) {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  if (me.isPending) {
    return (
      <section className="staff card-skeleton" aria-busy="true" aria-label={label}>
        <span className="skeleton-line short" />
        <span className="skeleton-line" />
        <span className="skeleton-line" />
      </section>
    );
  }
  if (me.data?.role !== 'staff') {
    return (
      <section className="empty">
        <h1>Not allowed</h1>
        <p>The staff area is for shop staff only.</p>
        {me.data ? <Link href="/">Back to the shop</Link> : <SignInLink />}
      </section>
    );
  }
  return children(me.data);
}
