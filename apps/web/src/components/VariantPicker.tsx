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

const matches = (v: Variant, wanted: VariantOptions) => Object.entries(wanted).every(([name, val]) => v.options[name] === val);

/** Whether variants matching `wanted` include one in stock; are all sold out; or do not exist. */
function availability(product: Product, wanted: VariantOptions): Availability {
  const matching = product.variants.filter((v) => matches(v, wanted));
  if (matching.length === 0) return 'unavailable';
  return matching.some((v) => v.stock > 0) ? 'available' : 'sold out';
}

/**
 * The choice after picking `value` for `option`: the other options keep their values, in the
 * product's option order, as long as some variant in stock still has them all; those that would
 * rule every such variant out are dropped, for the shopper to choose again.
 */
export function choose(product: Product, chosen: VariantOptions, option: string, value: string): VariantOptions {
  const next: VariantOptions = { [option]: value };
  for (const other of product.options) {
    const kept = chosen[other.name];
    if (other.name === option || kept === undefined) continue;
    if (availability(product, { ...next, [other.name]: kept }) === 'available') next[other.name] = kept;
  }
  return Object.fromEntries(
    product.options.flatMap((o) => {
      const value = next[o.name];
      return value === undefined ? [] : [[o.name, value]];
    }),
  );
}

/**
 * One group of radio buttons per option. A value no variant in stock has is disabled; any other
 * stays choosable, marked when it does not go with the other options chosen (picking it drops
 * those), so no choice made first can lock the shopper out of a variant in stock.
 */
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
            const alone = availability(product, { [option.name]: value });
            const state = alone === 'available' ? availability(product, { ...chosen, [option.name]: value }) : alone;
            return (
              <label key={value} className={`option option-${state.replace(' ', '-')}`}>
                <input
                  type="radio"
                  name={option.name}
                  value={value}
                  checked={chosen[option.name] === value}
                  disabled={alone !== 'available'}
                  onChange={() => onChoose(choose(product, chosen, option.name, value))}
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
