import type { Product, VariantOptions } from '@shop/schemas';
import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { ProductCard } from '../components/ProductCard.tsx';
import { choiceFrom, chosenVariant, VariantPicker } from '../components/VariantPicker.tsx';
import { WishlistButton } from '../components/WishlistButton.tsx';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';
import { useAddToCart } from '../lib/useAddToCart.ts';

/** How many other products of the category the page suggests. */
const RELATED = 4;

export default function ProductPage({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const product = useQuery(trpc.catalog.product.queryOptions({ slug }, { retry: false }));
  const addToCart = useAddToCart();
  // The options picked live in the address (?Size=M), so a chosen variant is a link too.
  const [params, setParams] = useSearchParams();

  if (product.isPending) return <p className="status">Loading…</p>;
  if (product.isError) {
    const notFound = product.error.data?.code === 'NOT_FOUND';
    return (
      <section className="empty" role={notFound ? undefined : 'alert'}>
        <h1>{notFound ? 'Product not found' : 'Something went wrong'}</h1>
        <Link href="/">Back to the shop</Link>
      </section>
    );
  }
  const p = product.data;
  const chosen = choiceFrom(p, params);
  const variant = chosenVariant(p, chosen);
  const choose = (next: VariantOptions) => setParams(next, { replace: true });
  const prices = p.variants.map((v) => v.priceCents);
  const priceText =
    variant || Math.min(...prices) === Math.max(...prices)
      ? formatPrice(variant?.priceCents ?? p.priceCents, p.currency)
      : `from ${formatPrice(p.priceCents, p.currency)}`;
  const stock = variant?.stock ?? p.stock;
  const missing = p.options.filter((o) => chosen[o.name] === undefined).map((o) => o.name);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumbs">
        <ol>
          <li>
            <Link href="/">Home</Link>
          </li>
          <li>
            <Link href={`/c/${p.category.slug}`}>{p.category.name}</Link>
          </li>
          <li aria-current="page">{p.name}</li>
        </ol>
      </nav>
      <article className="product">
        <img src={p.imageUrl} alt="" width={400} height={400} />
        <div>
          <h1>{p.name}</h1>
          <p className="price">{priceText}</p>
          <p className={stock > 0 ? 'stock' : 'stock stock-out'}>{stock > 0 ? `${stock} in stock` : 'Sold out'}</p>
          <p>{p.description}</p>
          <VariantPicker product={p} chosen={chosen} onChoose={choose} />
          <div className="product-actions">
            <button
              type="button"
              disabled={stock === 0 || !variant || addToCart.isPending}
              onClick={() => variant && addToCart.mutate({ product: p, variant })}
            >
              {stock === 0 ? 'Sold out' : variant ? 'Add to cart' : `Choose ${missing.join(' and ')}`}
            </button>
            <WishlistButton product={p} className="wish wish-text" withText />
          </div>
        </div>
      </article>
      <MoreFromCategory product={p} />
    </>
  );
}

/** Other products of the same category (the catalog's first page of it, this one left out). */
function MoreFromCategory({ product }: { product: Product }) {
  const trpc = useTRPC();
  // One more than shown, in case this product is among them; the catalog's cache serves it to all.
  const list = useQuery(trpc.catalog.list.queryOptions({ category: product.category.slug, limit: RELATED + 1 }));
  const others = list.data?.items.filter((item) => item.id !== product.id).slice(0, RELATED) ?? [];
  // A suggestion, not the page's purpose: nothing is shown while loading, on failure, or when alone.
  if (others.length === 0) return null;
  return (
    <section className="related" aria-labelledby="related-title">
      <h2 id="related-title">More from {product.category.name}</h2>
      <ul className="grid" aria-label={`More from ${product.category.name}`}>
        {others.map((item) => (
          <ProductCard key={item.id} product={item} />
        ))}
      </ul>
    </section>
  );
}
