import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { SignInLink } from '../components/SignInLink.tsx';
import { Dashboard } from '../components/staff/Dashboard.tsx';
import { MfaPanel } from '../components/staff/MfaPanel.tsx';
import { OrderQueue } from '../components/staff/OrderQueue.tsx';
import { ProductEditor } from '../components/staff/ProductEditor.tsx';
import { useTRPC } from '../lib/trpc.ts';

export default function StaffPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  if (me.isPending) {
    return (
      <section className="staff card-skeleton" aria-busy="true" aria-label="Loading the staff area">
        <span className="skeleton-line short" />
        <span className="skeleton-line" />
        <span className="skeleton-line" />
      </section>
    );
  }
  // The server refuses every admin call from anyone else (FORBIDDEN); this only spares the attempt.
  if (me.data?.role !== 'staff') {
    return (
      <section className="empty">
        <h1>Not allowed</h1>
        <p>The staff area is for shop staff only.</p>
        {me.data ? <Link href="/">Back to the shop</Link> : <SignInLink />}
      </section>
    );
  }
  return (
    <section className="staff" aria-labelledby="staff-title">
      <h1 id="staff-title">Staff</h1>
      <nav aria-label="Staff sections" className="staff-nav">
        <a href="#staff-dashboard">Go to today's figures</a>
        <a href="#staff-products">Go to products</a>
        <a href="#staff-orders">Go to orders</a>
      </nav>
      <Dashboard />
      <MfaPanel enrolled={me.data.mfa} />
      <div className="staff-columns">
        <ProductEditor />
        <OrderQueue />
      </div>
    </section>
  );
}
