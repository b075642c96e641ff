import { optionsLabel, type Product } from '@shop/schemas';
import { type FormEvent, useState } from 'react';
import { useTRPCClient } from '../../lib/trpc.ts';
import { useToast } from '../Toasts.tsx';
import { combinationRows, draftOptions, type OptionDraft, parseRows, type RowErrors, type VariantRow } from './variant-rows.ts';

/** Most options the API takes per product. */
const MAX_OPTIONS = 3;
const FIELD_LABELS = { sku: 'SKU', price: 'Price', stock: 'Stock' } as const;

/**
 * A product's options (name, values) and one row per combination of their values: offered or not,
 * with its SKU, price and stock. Saving sends them all (an existing variant's stock as a change,
 * see `parseRows`); the product's price and stock follow.
 */
export function VariantEditor({ product, onSaved }: { product: Product; onSaved: (p: Product) => void }) {
  const client = useTRPCClient();
  const toast = useToast();
  const [drafts, setDrafts] = useState<OptionDraft[]>(() => product.options.map((o) => ({ name: o.name, values: o.values.join(', ') })));
  const [rows, setRows] = useState<VariantRow[]>(() => combinationRows(product, product.options, []));
  const [errors, setErrors] = useState<RowErrors[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const id = `variants-${product.id}`;

  const changeOptions = (next: OptionDraft[]) => {
    setDrafts(next);
    setRows((previous) => combinationRows(product, draftOptions(next), previous));
    setErrors([]);
  };
  const changeRow = (i: number, patch: Partial<VariantRow>) => setRows((list) => list.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    const parsed = parseRows(rows);
    if (!parsed.ok) {
      setErrors(parsed.errors);
      return;
    }
    setErrors([]);
    if (parsed.variants.length === 0) {
      setProblem('Offer at least one variant.');
      return;
    }
    setSaving(true);
    try {
      let saved = await client.admin.product.upsert.mutate({
        id: product.id,
        slug: product.slug,
        name: product.name,
        description: product.description,
        priceCents: Math.min(...parsed.variants.map((v) => v.priceCents)),
        categorySlug: product.category.slug,
        options: draftOptions(drafts),
        variants: parsed.variants,
      });
      // Stock typed for existing variants goes as the difference from what this form showed, so
      // units sold meanwhile stay sold (the server refuses to go below zero). The rows show the
      // server's state after each step, changes not yet made still typed in: should one fail,
      // saving again sends only what is left.
      const pending = new Map(parsed.stockChanges.map((c) => [c.variantId, c.delta]));
      const show = (p: Product) => {
        onSaved(p);
        setRows(
          combinationRows(p, p.options, []).map((r) => {
            const delta = r.id === undefined ? undefined : pending.get(r.id);
            return delta === undefined ? r : { ...r, stock: String((r.seenStock ?? 0) + delta) };
          }),
        );
      };
      show(saved);
      for (const { variantId, delta } of parsed.stockChanges) {
        saved = await client.admin.product.adjustStock.mutate({ productId: product.id, variantId, delta });
        pending.delete(variantId);
        show(saved);
      }
      toast(`Saved ${saved.variants.length} variants of ${saved.name}.`, 'info');
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="variant-editor" onSubmit={submit} noValidate aria-label={`Options and variants of ${product.name}`}>
      <fieldset>
        <legend>Options</legend>
        {drafts.map((draft, i) => (
          <div className="staff-fields" key={i}>
            <div className="field">
              <label htmlFor={`${id}-option-${i}`}>Option {i + 1}</label>
              <input
                id={`${id}-option-${i}`}
                value={draft.name}
                placeholder="Size"
                onChange={(e) => changeOptions(drafts.map((d, j) => (j === i ? { ...d, name: e.target.value } : d)))}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-values-${i}`}>Values of option {i + 1}</label>
              <input
                id={`${id}-values-${i}`}
                value={draft.values}
                placeholder="S, M, L"
                onChange={(e) => changeOptions(drafts.map((d, j) => (j === i ? { ...d, values: e.target.value } : d)))}
              />
            </div>
            <button type="button" className="link-button" onClick={() => changeOptions(drafts.filter((_, j) => j !== i))}>
              Remove option {i + 1}
            </button>
          </div>
        ))}
        {drafts.length < MAX_OPTIONS && (
          <button type="button" className="link-button" onClick={() => changeOptions([...drafts, { name: '', values: '' }])}>
            Add an option
          </button>
        )}
      </fieldset>
      <table className="variant-table">
        <caption className="visually-hidden">Variants of {product.name}</caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
            <th scope="col">Offered</th>
            <th scope="col">SKU</th>
            <th scope="col">Price ({product.currency})</th>
            <th scope="col">Stock</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const label = optionsLabel(row.options) || 'The product';
            const rowErrors = errors[i];
            return (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Offer ${label}`}
                    checked={row.offered}
                    onChange={(e) => changeRow(i, { offered: e.target.checked })}
                  />
                </td>
                {(['sku', 'price', 'stock'] as const).map((field) => (
                  <td key={field}>
                    <input
                      aria-label={`${FIELD_LABELS[field]} of ${label}`}
                      inputMode={field === 'price' ? 'decimal' : field === 'stock' ? 'numeric' : undefined}
                      value={row[field]}
                      disabled={!row.offered}
                      aria-invalid={field !== 'sku' && rowErrors?.[field] ? true : undefined}
                      onChange={(e) => changeRow(i, { [field]: e.target.value })}
                    />
                    {field !== 'sku' && rowErrors?.[field] && <span className="form-error">{rowErrors[field]}</span>}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" disabled={saving}>
        {saving ? 'Saving…' : 'Save options and variants'}
      </button>
    </form>
  );
}
