import { optionsLabel, type VariantOptions } from '@shop/schemas';

/** A line's variant, as "M / Sage" beside its name; nothing for a product without options. */
export function OptionsLabel({ options }: { options: VariantOptions }) {
  const label = optionsLabel(options);
  return label ? <span className="line-options"> ({label})</span> : null;
}
