import type { PromotionKind } from '@shop/schemas';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../../lib/trpc.ts';
import { type PromotionErrors, type PromotionFields, readPromotion } from './promotion-input.ts';

const EMPTY: PromotionFields = { code: '', kind: 'percent', value: '', minSubtotal: '', startsAt: '', endsAt: '', usageLimit: '' };

/** Creates a promotion code; the list beside it shows the new one once saved. */
export function PromotionForm({ currency }: { currency: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [fields, setFields] = useState(EMPTY);
  const [errors, setErrors] = useState<PromotionErrors>({});
  const [saved, setSaved] = useState<string | null>(null);
  const create = useMutation(
    trpc.admin.promotion.upsert.mutationOptions({
      onSuccess: async (promotion) => {
        setFields(EMPTY);
        setSaved(`Created ${promotion.code}.`);
        await queryClient.invalidateQueries({ queryKey: trpc.admin.promotion.list.queryKey() });
      },
    }),
  );
  const set = (name: keyof PromotionFields) => (e: { target: { value: string } }) => setFields({ ...fields, [name]: e.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(null);
    const read = readPromotion(fields);
    setErrors(read.ok ? {} : read.errors);
    if (read.ok) create.mutate(read.input);
  }

  const field = (name: keyof PromotionFields, label: string, props: { inputMode?: 'decimal' | 'numeric'; type?: string } = {}) => (
    <div className="field">
      <label htmlFor={`promotion-${name}`}>{label}</label>
      <input
        id={`promotion-${name}`}
        value={fields[name]}
        onChange={set(name)}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `promotion-${name}-error` : undefined}
        {...props}
      />
      {errors[name] && (
        <span id={`promotion-${name}-error`} className="form-error">
          {errors[name]}
        </span>
      )}
    </div>
  );

  return (
    <section className="staff-section" aria-labelledby="new-code-title">
      <h2 id="new-code-title">New code</h2>
      <form onSubmit={submit} noValidate aria-labelledby="new-code-title" className="staff-row promotion-form">
        <div className="staff-fields">
          {field('code', 'Code')}
          <div className="field">
            <label htmlFor="promotion-kind">Kind</label>
            <select
              id="promotion-kind"
              value={fields.kind}
              onChange={(e) => setFields({ ...fields, kind: e.target.value as PromotionKind })}
            >
              <option value="percent">Percent off</option>
              <option value="fixed">Amount off</option>
            </select>
          </div>
          {field('value', fields.kind === 'percent' ? 'Percent' : `Amount (${currency})`, { inputMode: 'decimal' })}
        </div>
        <div className="staff-fields">
          {field('minSubtotal', `Minimum subtotal (${currency}, optional)`, { inputMode: 'decimal' })}
          {field('usageLimit', 'Usage limit (optional)', { inputMode: 'numeric' })}
        </div>
        <div className="staff-fields">
          {field('startsAt', 'Starts (optional)', { type: 'datetime-local' })}
          {field('endsAt', 'Ends (optional)', { type: 'datetime-local' })}
        </div>
        {create.isError && (
          <p role="alert" className="form-error">
            Could not create the code: {create.error.message}
          </p>
        )}
        <div className="staff-actions">
          <button type="submit" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create code'}
          </button>
        </div>
        <p className="saved" role="status">
          {saved}
        </p>
      </form>
    </section>
  );
}
