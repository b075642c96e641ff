import { centsToInput, parseCents } from '../lib/price.ts';

/** The catalog's price bounds in cents, as catalog.list takes them, and why a typed one is not applied. */
export interface PriceRange {
  minPriceCents?: number;
  maxPriceCents?: number;
  error?: string;
}

/** The bounds the two fields say; none while one is unreadable or the minimum is above the maximum. */
export function priceRange(minText: string, maxText: string): PriceRange {
  const min = minText.trim() ? parseCents(minText) : undefined;
  const max = maxText.trim() ? parseCents(maxText) : undefined;
  if (min === null || max === null) return { error: 'Enter prices such as 12.50.' };
  if (min !== undefined && max !== undefined && min > max) return { error: 'The minimum price is above the maximum.' };
  return { ...(min !== undefined ? { minPriceCents: min } : {}), ...(max !== undefined ? { maxPriceCents: max } : {}) };
}

/** A bound from the address bar (integer cents) as the field shows it; empty when absent or not a price. */
export function priceText(cents: string | null): string {
  return cents !== null && /^\d{1,11}$/.test(cents) ? centsToInput(Number(cents)) : '';
}

interface PriceFilterProps {
  min: string;
  max: string;
  error: string | undefined;
  onMin(text: string): void;
  onMax(text: string): void;
}

export function PriceFilter({ min, max, error, onMin, onMax }: PriceFilterProps) {
  return (
    <fieldset className="price-filter">
      <legend className="visually-hidden">Price</legend>
      <Bound label="Minimum price" placeholder="Min price" value={min} invalid={error !== undefined} onChange={onMin} />
      <span aria-hidden="true">–</span>
      <Bound label="Maximum price" placeholder="Max price" value={max} invalid={error !== undefined} onChange={onMax} />
      {error && (
        <span className="form-error" role="status">
          {error}
        </span>
      )}
    </fieldset>
  );
}

interface BoundProps {
  label: string;
  placeholder: string;
  value: string;
  invalid: boolean;
  onChange(text: string): void;
}

function Bound({ label, placeholder, value, invalid, onChange }: BoundProps) {
  return (
    <label>
      <span className="visually-hidden">{label}</span>
      <input
        inputMode="decimal"
        placeholder={placeholder}
        value={value}
        aria-invalid={invalid || undefined}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
