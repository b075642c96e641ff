import type { CatalogSort } from '@shop/schemas';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams, useSearch } from 'wouter';
import { PriceFilter, priceRange, priceText } from '../components/PriceFilter.tsx';
import { ProductCard, ProductCardSkeleton } from '../components/ProductCard.tsx';
import { useTRPC } from '../lib/trpc.ts';
import { useDebounced } from '../lib/useDebounced.ts';

// Types only from @shop/schemas here: its zod schemas would add ~50 KB to the first page load.
const SORT_LABELS: Record<CatalogSort, string> = {
  relevance: 'Best match',
  price_asc: 'Price: low to high',
  price_desc: 'Price: high to low',
  newest: 'Newest',
  name: 'Name',
};
const PAGE_SIZE = 24;

export function CatalogPage() {
  const trpc = useTRPC();
  const { category } = useParams<{ category?: string }>();
  const params = new URLSearchParams(useSearch());
  const [search, setSearch] = useState(params.get('q') ?? '');
  const [minPrice, setMinPrice] = useState(priceText(params.get('minPriceCents')));
  const [maxPrice, setMaxPrice] = useState(priceText(params.get('maxPriceCents')));
  const [sort, setSort] = useState<CatalogSort | ''>('');
  const [inStock, setInStock] = useState(false);
  const debouncedSearch = useDebounced(search.trim(), 250);
  const price = priceRange(useDebounced(minPrice, 400), useDebounced(maxPrice, 400));
  const { minPriceCents, maxPriceCents } = price;

  // Keep the search and the price range in the address bar, so a filtered page is a link too.
  useEffect(() => {
    const url = new URL(window.location.href);
    const keep = (name: string, value: string | number | undefined) =>
      value === undefined || value === '' ? url.searchParams.delete(name) : url.searchParams.set(name, String(value));
    keep('q', debouncedSearch);
    keep('minPriceCents', minPriceCents);
    keep('maxPriceCents', maxPriceCents);
    window.history.replaceState(window.history.state, '', url);
  }, [debouncedSearch, minPriceCents, maxPriceCents]);

  const categories = useQuery(trpc.catalog.categories.queryOptions());
  const products = useInfiniteQuery(
    trpc.catalog.list.infiniteQueryOptions(
      {
        limit: PAGE_SIZE,
        ...(debouncedSearch ? { search: debouncedSearch } : {}),
        ...(category ? { category } : {}),
        ...(sort ? { sort } : {}),
        ...(inStock ? { inStock } : {}),
        ...(minPriceCents !== undefined ? { minPriceCents } : {}),
        ...(maxPriceCents !== undefined ? { maxPriceCents } : {}),
      },
      { getNextPageParam: (page) => page.nextCursor },
    ),
  );
  const items = products.data?.pages.flatMap((p) => p.items) ?? [];
  const current = categories.data?.find((c) => c.slug === category);

  return (
    <div className="catalog">
      <nav aria-label="Categories" className="categories">
        <ul>
          <li>
            <Link href="/" aria-current={!category ? 'page' : undefined}>
              All
            </Link>
          </li>
          {categories.data?.map((c) => (
            <li key={c.slug}>
              <Link href={`/c/${c.slug}`} aria-current={c.slug === category ? 'page' : undefined}>
                {c.name} <span className="count">{c.productCount}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <section className="results" aria-labelledby="catalog-title">
        <h1 id="catalog-title">{current?.name ?? 'All products'}</h1>
        <search>
          <form className="filters" onSubmit={(e) => e.preventDefault()}>
            <label>
              <span className="visually-hidden">Search products</span>
              <input type="search" placeholder="Search products" value={search} onChange={(e) => setSearch(e.target.value)} />
            </label>
            <label>
              <span className="visually-hidden">Sort by</span>
              <select value={sort} onChange={(e) => setSort(e.target.value as CatalogSort | '')}>
                <option value="">{debouncedSearch ? 'Best match' : 'Newest'}</option>
                {(Object.keys(SORT_LABELS) as CatalogSort[])
                  .filter((s) => s !== 'relevance')
                  .map((s) => (
                    <option key={s} value={s}>
                      {SORT_LABELS[s]}
                    </option>
                  ))}
              </select>
            </label>
            <PriceFilter min={minPrice} max={maxPrice} error={price.error} onMin={setMinPrice} onMax={setMaxPrice} />
            <label className="checkbox">
              <input type="checkbox" checked={inStock} onChange={(e) => setInStock(e.target.checked)} /> In stock only
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
            <ul className="grid" aria-busy={products.isPending} aria-label="Products">
              {items.map((p) => (
                <ProductCard key={p.id} product={p} />
              ))}
              {(products.isPending || products.isFetchingNextPage) &&
                Array.from({ length: products.isPending ? 8 : 4 }, (_, i) => <ProductCardSkeleton key={`s${i}`} />)}
            </ul>
            {!products.isPending && items.length === 0 && <p className="status">No products match.</p>}
            {products.hasNextPage && (
              <button type="button" className="more" disabled={products.isFetchingNextPage} onClick={() => void products.fetchNextPage()}>
                {products.isFetchingNextPage ? 'Loading…' : 'Show more'}
              </button>
            )}
          </>
        )}
      </section>
    </div>
  );
}
