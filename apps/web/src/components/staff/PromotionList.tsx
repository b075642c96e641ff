import type { Promotion } from '@shop/schemas';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { formatPrice } from '../../lib/format.ts';
import { discountLabel } from '../../lib/promotion.ts';
import { useTRPC } from '../../lib/trpc.ts';
import { useToast } from '../Toasts.tsx';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Where a code stands now, as a shopper applying it would find it. */
function stateOf(p: Promotion, now = Date.now()): string {
  if (!p.active) return 'Disabled';
  if (p.startsAt && Date.parse(p.startsAt) > now) return 'Scheduled';
  if (p.endsAt && Date.parse(p.endsAt) <= now) return 'Expired';
  if (p.usageLimit !== null && p.usedCount >= p.usageLimit) return 'Used up';
  return 'Active';
}

function Row({ promotion: p, currency }: { promotion: Promotion; currency: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const toggle = useMutation(
    trpc.admin.promotion.upsert.mutationOptions({
      onSuccess: (saved) =>
        queryClient.setQueryData(trpc.admin.promotion.list.queryKey(), (list) => list?.map((x) => (x.id === saved.id ? saved : x))),
      onError: (error) => toast(`Could not change ${p.code}: ${error.message}`, 'error'),
    }),
  );
  const state = stateOf(p);
  return (
    <li className="staff-row">
      <article aria-labelledby={`promotion-${p.id}`}>
        <div className="staff-row-head">
          <strong id={`promotion-${p.id}`}>{p.code}</strong>
          <span className={state === 'Active' ? 'order-status' : 'order-status status-cancelled'}>{state}</span>
        </div>
        <p>
          {discountLabel(p, currency)}
          {p.minSubtotalCents > 0 && ` on ${formatPrice(p.minSubtotalCents, currency)} or more`}
        </p>
        <p className="muted">
          Used {p.usedCount}
          {p.usageLimit === null ? ' times, no limit' : ` of ${p.usageLimit}`}
          {p.startsAt && ` · from ${when.format(new Date(p.startsAt))}`}
          {p.endsAt && ` · until ${when.format(new Date(p.endsAt))}`}
        </p>
        <button
          type="button"
          className={p.active ? 'danger' : undefined}
          disabled={toggle.isPending}
          onClick={() => toggle.mutate({ id: p.id, code: p.code, kind: p.kind, value: p.value, active: !p.active })}
        >
          {p.active ? 'Disable' : 'Enable'}
          <span className="visually-hidden"> {p.code}</span>
        </button>
      </article>
    </li>
  );
}

export function PromotionList({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.admin.promotion.list.queryOptions());
  return (
    <section className="staff-section" aria-labelledby="codes-title">
      <h2 id="codes-title">Codes</h2>
      {list.isError ? (
        <p role="alert" className="error">
          Could not load the codes: {list.error.message}
        </p>
      ) : (
        <ul className="staff-list" aria-label="Promotion codes" aria-busy={list.isPending}>
          {list.data?.map((p) => (
            <Row key={p.id} promotion={p} currency={currency} />
          ))}
        </ul>
      )}
      {list.data?.length === 0 && <p className="status">No codes yet.</p>}
    </section>
  );
}
