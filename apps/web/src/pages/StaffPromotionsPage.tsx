import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { PromotionForm } from '../components/staff/PromotionForm.tsx';
import { PromotionList } from '../components/staff/PromotionList.tsx';
import { StaffGate } from '../components/staff/StaffGate.tsx';
import { useTRPC } from '../lib/trpc.ts';

export default function StaffPromotionsPage() {
  const trpc = useTRPC();
  // The shop's currency, as the cart reports it (fixed amounts and minimums are in it).
  const currency = useQuery(trpc.cart.get.queryOptions()).data?.currency ?? 'EUR';
  return (
    <StaffGate label="Loading the promotion codes">
      {() => (
        <section className="staff" aria-labelledby="promotions-title">
          <p>
            <Link href="/staff">Staff</Link>
          </p>
          <h1 id="promotions-title">Promotion codes</h1>
          <div className="staff-columns">
            <PromotionForm currency={currency} />
            <PromotionList currency={currency} />
          </div>
        </section>
      )}
    </StaffGate>
  );
}
