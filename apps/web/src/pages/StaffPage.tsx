import { Link } from 'wouter';
import { Dashboard } from '../components/staff/Dashboard.tsx';
import { MfaPanel } from '../components/staff/MfaPanel.tsx';
import { OrderQueue } from '../components/staff/OrderQueue.tsx';
import { ProductEditor } from '../components/staff/ProductEditor.tsx';
import { StaffGate } from '../components/staff/StaffGate.tsx';

export default function StaffPage() {
  return (
    <StaffGate label="Loading the staff area">
      {(me) => (
        <section className="staff" aria-labelledby="staff-title">
          <h1 id="staff-title">Staff</h1>
          <nav aria-label="Staff sections" className="staff-nav">
            <a href="#staff-dashboard">Go to today's figures</a>
            <a href="#staff-products">Go to products</a>
            <a href="#staff-orders">Go to orders</a>
            <Link href="/staff/promotions">Promotion codes</Link>
          </nav>
          <Dashboard />
          <MfaPanel enrolled={me.mfa} />
          <div className="staff-columns">
            <ProductEditor />
            <OrderQueue />
          </div>
        </section>
      )}
    </StaffGate>
  );
}
