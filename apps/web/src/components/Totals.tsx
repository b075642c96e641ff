import { formatPrice } from '../lib/format.ts';

interface Amounts {
  subtotalCents: number;
  discountCents: number;
  totalCents: number;
  code: string | null;
  currency: string;
}

/** Subtotal, the code's discount (when there is a code) and the total, for a cart or an order. */
export function Totals({ subtotalCents, discountCents, totalCents, code, currency }: Amounts) {
  return (
    <dl className="totals">
      <div>
        <dt>Subtotal</dt>
        <dd>{formatPrice(subtotalCents, currency)}</dd>
      </div>
      {code !== null && (
        <div>
          <dt>Discount ({code})</dt>
          <dd>−{formatPrice(discountCents, currency)}</dd>
        </div>
      )}
      <div className="total">
        <dt>Total</dt>
        <dd>{formatPrice(totalCents, currency)}</dd>
      </div>
    </dl>
  );
}
