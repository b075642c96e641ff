import type { Product, Variant, VariantOptions } from '@shop/schemas';

/** The variant these options name, once every option has a value. */
export function chosenVariant(product: Product, chosen: VariantOptions): Variant | undefined {
  if (product.options.length === 0) return product.variants.length === 1 ? product.variants[0] : undefined;
  if (!product.options.every((o) => chosen[o.name] !== undefined)) return undefined;
  return product.variants.find((v) => product.options.every((o) => v.options[o.name] === chosen[o.name]));
}

/** The choice an address names (`?Size=M&Colour=Sage`), keeping only the product's own values. */
export function choiceFrom(product: Product, params: URLSearchParams): VariantOptions {
  const chosen: VariantOptions = {};
  for (const option of product.options) {
    const value = params.get(option.name);
    if (value !== null && option.values.includes(value)) chosen[option.name] = value;
  }
  return chosen;
}

type Availability = 'available' | 'sold out' | 'unavailable';

/**
 * Whether picking `value` for `option`, with the other options as chosen so far, leads to a variant
 * in stock; to variants that are all sold out; or to none at all (a combination not made).
 */
function availability(product: Product, chosen: VariantOptions, option: string, value: string): Availability {
  const wanted = { ...chosen, [option]: value };
  const matching = product.variants.filter((v) => Object.entries(wanted).every(([name, val]) => v.options[name] === val));
  if (matching.length === 0) return 'unavailable';
  return matching.some((v) => v.stock > 0) ? 'available' : 'sold out';
}

/** One group of radio buttons per option; values that lead nowhere are shown as such, and disabled. */
export function VariantPicker({
  product,
  chosen,
  onChoose,
}: {
  product: Product;
  chosen: VariantOptions;
  onChoose: (next: VariantOptions) => void;
}) {
  return (
    <div className="variant-picker">
      {product.options.map((option) => (
        <fieldset key={option.name}>
          <legend>
            {option.name}
            {chosen[option.name] ? `: ${chosen[option.name]}` : ''}
          </legend>
          {option.values.map((value) => {
            const state = availability(product, chosen, option.name, value);
            return (
              <label key={value} className={`option option-${state.replace(' ', '-')}`}>
                <input
                  type="radio"
                  name={option.name}
                  value={value}
                  checked={chosen[option.name] === value}
                  disabled={state !== 'available'}
                  onChange={() => onChoose({ ...chosen, [option.name]: value })}
                />
                <span>{state === 'available' ? value : `${value} (${state})`}</span>
              </label>
            );
          })}
        </fieldset>
      ))}
    </div>
  );
}
