import { type AdminPromotionUpsertInput, adminPromotionUpsertInput, type PromotionKind } from '@shop/schemas';
import { parsePrice } from './price.ts';

/** What staff type into the new-code form, as text. */
export interface PromotionFields {
  code: string;
  kind: PromotionKind;
  value: string;
  minSubtotal: string;
  startsAt: string;
  endsAt: string;
  usageLimit: string;
}

export type PromotionErrors = Partial<Record<keyof PromotionFields, string>>;

// The input's fields by the form's names, for the server schema's issues.
const FIELD_OF: Record<string, keyof PromotionFields> = {
  code: 'code',
  kind: 'kind',
  value: 'value',
  minSubtotalCents: 'minSubtotal',
  startsAt: 'startsAt',
  endsAt: 'endsAt',
  usageLimit: 'usageLimit',
};

/** A `datetime-local` value (the browser's time zone) as an ISO instant; empty stays empty. */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

/**
 * The form's text as the server's input: amounts in cents exactly (no floating point), a
 * percentage as a whole number, then the server's own schema for everything else.
 */
export function readPromotion(
  fields: PromotionFields,
): { ok: true; input: AdminPromotionUpsertInput } | { ok: false; errors: PromotionErrors } {
  const errors: PromotionErrors = {};
  let value: number | undefined;
  if (fields.kind === 'fixed') {
    const amount = parsePrice(fields.value);
    if (amount.ok) value = amount.value;
    else errors.value = amount.error;
  } else if (/^\d{1,3}$/.test(fields.value.trim())) value = Number(fields.value.trim());
  else errors.value = 'Enter a whole percentage, 1 to 100.';
  let minSubtotalCents: number | undefined;
  if (fields.minSubtotal.trim()) {
    const minimum = parsePrice(fields.minSubtotal);
    if (minimum.ok) minSubtotalCents = minimum.value;
    else errors.minSubtotal = minimum.error;
  }
  let usageLimit: number | undefined;
  if (fields.usageLimit.trim()) {
    if (/^\d{1,10}$/.test(fields.usageLimit.trim())) usageLimit = Number(fields.usageLimit.trim());
    else errors.usageLimit = 'Enter a whole number of uses, or leave it empty for no limit.';
  }
  const parsed = adminPromotionUpsertInput.safeParse({
    code: fields.code,
    kind: fields.kind,
    value: value ?? 1,
    ...(minSubtotalCents === undefined ? {} : { minSubtotalCents }),
    ...(usageLimit === undefined ? {} : { usageLimit }),
    ...(instant(fields.startsAt) ? { startsAt: instant(fields.startsAt) } : {}),
    ...(instant(fields.endsAt) ? { endsAt: instant(fields.endsAt) } : {}),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = FIELD_OF[String(issue.path[0])];
      if (field) errors[field] ??= issue.message;
    }
  }
  return parsed.success && Object.keys(errors).length === 0 ? { ok: true, input: parsed.data } : { ok: false, errors };
}
