import type { Page, Product, ProductSummary } from '@shop/schemas';
import { type InfiniteData, useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatPrice } from '../../lib/format.ts';
import { centsToInput } from '../../lib/price.ts';
import { useTRPC, useTRPCClient } from '../../lib/trpc.ts';
import { useDebounced } from '../../lib/useDebounced.ts';
import { useToast } from '../Toasts.tsx';
import { parsePrice, parseStock } from './price.ts';
import { VariantEditor } from './VariantEditor.tsx';

const PAGE_SIZE = 20;

type ListData = Page<ProductSummary> | InfiniteData<Page<ProductSummary>>;

/** Puts a saved product into every cached catalog list, so the storefront and this list agree. */
function patchLists(data: ListData | undefined, saved: ProductSummary): ListData | undefined {
  if (!data) return data;
  const patch = (page: Page<ProductSummary>) => ({
    ...page,
    items: page.items.map((p) =>
      p.id === saved.id ? { ...p, priceCents: saved.priceCents, stock: saved.stock, name: saved.name, slug: saved.slug } : p,
    ),
  });
  return 'pages' in data ? { ...data, pages: data.pages.map(patch) } : patch(data);
}

export function ProductEditor() {
  const trpc = useTRPC();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 250);
  const products = useInfiniteQuery(
    trpc.catalog.list.infiniteQueryOptions(
      { limit: PAGE_SIZE, ...(term ? { search: term } : { sort: 'name' as const }) },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const items = products.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="staff-section" aria-labelledby="staff-products">
      <h2 id="staff-products">Products</h2>
      <search>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            <span className="visually-hidden">Search products</span>
            <input type="search" placeholder="Search products" value={search} onChange={(e) => setSearch(e.target.value)} />
          </label>
        </form>
      </search>
      {products.isError ? (
        <div role="alert" className="error">
          <p>Could not load products: {products.error.message}</p>
          <button type="button" onClick={() => void products.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          <ul className="staff-list" aria-label="Products to edit" aria-busy={products.isPending}>
            {items.map((p) => (
              <ProductRow key={p.id} product={p} />
            ))}
            {(products.isPending || products.isFetchingNextPage) && [1, 2, 3].map((i) => <RowSkeleton key={`s${i}`} />)}
          </ul>
          {!products.isPending && items.length === 0 && <p className="status">No products match.</p>}
          {products.hasNextPage && (
            <button type="button" className="more" disabled={products.isFetchingNextPage} onClick={() => void products.fetchNextPage()}>
              {products.isFetchingNextPage ? 'Loading…' : 'Show more products'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

export function RowSkeleton() {
  return (
    <li className="staff-row card-skeleton" aria-hidden="true">
      <span className="skeleton-line" />
      <span className="skeleton-line short" />
    </li>
  );
}

interface Edit {
  priceCents: number;
  stock: number;
}

function ProductRow({ product }: { product: ProductSummary }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [price, setPrice] = useState(() => centsToInput(product.priceCents));
  const [stock, setStock] = useState(() => String(product.stock));
  const [errors, setErrors] = useState<{ price?: string; stock?: string }>({});
  const [saved, setSaved] = useState<string | null>(null);

  // New values from the server (a save, a refetch) replace the fields' text.
  const [shown, setShown] = useState({ priceCents: product.priceCents, stock: product.stock });
  if (shown.priceCents !== product.priceCents || shown.stock !== product.stock) {
    setShown({ priceCents: product.priceCents, stock: product.stock });
    setPrice(centsToInput(product.priceCents));
    setStock(String(product.stock));
  }

  const remember = (p: Product) => {
    queryClient.setQueriesData<ListData>({ queryKey: trpc.catalog.list.pathKey() }, (data) => patchLists(data, p));
    queryClient.setQueryData(trpc.catalog.product.queryKey({ slug: p.slug }), p);
  };

  const save = useMutation({
    mutationFn: async ({ priceCents, stock: newStock }: Edit) => {
      let latest: Product | null = null;
      if (priceCents !== product.priceCents) {
        // upsert replaces every field: start from the product as it is now, not from this list row.
        const full = await client.catalog.product.query({ slug: product.slug });
        // (A stock change of such a product is refused by the server, which says why.)
        if (full.variants.length > 1) throw new Error('it has several variants: price them under "Options and variants"');
        latest = await client.admin.product.upsert.mutate({
          id: full.id,
          slug: full.slug,
          name: full.name,
          description: full.description,
          priceCents,
          categorySlug: full.category.slug,
        });
        remember(latest);
      }
      // A change relative to what staff saw; the server keeps stock from going below zero.
      if (newStock !== product.stock) {
        latest = await client.admin.product.adjustStock.mutate({ productId: product.id, delta: newStock - product.stock });
        remember(latest);
      }
      return latest;
    },
    onSuccess: (p) => setSaved(p ? `Saved: ${formatPrice(p.priceCents, p.currency)}, ${p.stock} in stock.` : 'No changes to save.'),
    onError: (error) => toast(`Could not save ${product.name}: ${error.message}`, 'error'),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(null);
    const p = parsePrice(price);
    const s = parseStock(stock);
    setErrors({ ...(p.ok ? {} : { price: p.error }), ...(s.ok ? {} : { stock: s.error }) });
    if (!p.ok || !s.ok) return;
    save.mutate({ priceCents: p.value, stock: s.value });
  };

  const id = `product-${product.id}`;
  const [editing, setEditing] = useState<Product | null>(null);
  const openVariants = useMutation({
    mutationFn: () => client.catalog.product.query({ slug: product.slug }),
    onSuccess: setEditing,
    onError: (error) => toast(`Could not load ${product.name}: ${error.message}`, 'error'),
  });
  return (
    <li className="staff-row">
      <form onSubmit={submit} noValidate aria-labelledby={`${id}-name`}>
        <div className="staff-row-head">
          <strong id={`${id}-name`}>{product.name}</strong>
          <span className="muted">
            {formatPrice(product.priceCents, product.currency)} · {product.stock} in stock
          </span>
        </div>
        <div className="staff-fields">
          <div className="field">
            <label htmlFor={`${id}-price`}>Price ({product.currency})</label>
            <input
              id={`${id}-price`}
              inputMode="decimal"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
              aria-invalid={errors.price ? true : undefined}
              aria-describedby={errors.price ? `${id}-price-error` : undefined}
            />
            {errors.price && (
              <span id={`${id}-price-error`} className="form-error">
                {errors.price}
              </span>
            )}
          </div>
          <div className="field">
            <label htmlFor={`${id}-stock`}>Stock</label>
            <input
              id={`${id}-stock`}
              inputMode="numeric"
              value={stock}
              onChange={(e) => setStock(e.target.value)}
              aria-invalid={errors.stock ? true : undefined}
              aria-describedby={errors.stock ? `${id}-stock-error` : undefined}
            />
            {errors.stock && (
              <span id={`${id}-stock-error`} className="form-error">
                {errors.stock}
              </span>
            )}
          </div>
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save'}
          </button>
        </div>
        <p className="saved" role="status">
          {saved}
        </p>
      </form>
      <button
        type="button"
        className="link-button"
        aria-expanded={editing !== null}
        aria-label={`Options and variants of ${product.name}`}
        disabled={openVariants.isPending}
        onClick={() => (editing ? setEditing(null) : openVariants.mutate())}
      >
        Options and variants
      </button>
      {editing && <VariantEditor product={editing} onSaved={remember} />}
    </li>
  );
}
