import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { WishlistButton } from '../components/WishlistButton.tsx';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';
import { useAddToCart } from '../lib/useAddToCart.ts';

export default function ProductPage({ slug }: { slug: string }) {
  const trpc = useTRPC();
  const product = useQuery(trpc.catalog.product.queryOptions({ slug }, { retry: false }));
  const addToCart = useAddToCart();

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
  return (
    <article className="product">
      <img src={p.imageUrl} alt="" width={400} height={400} />
      <div>
        <Link href={`/c/${p.category.slug}`} className="card-category">
          {p.category.name}
        </Link>
        <h1>{p.name}</h1>
        <p className="price">{formatPrice(p.priceCents, p.currency)}</p>
        <p className={p.stock > 0 ? 'stock' : 'stock stock-out'}>{p.stock > 0 ? `${p.stock} in stock` : 'Sold out'}</p>
        <p>{p.description}</p>
        <div className="product-actions">
          <button type="button" disabled={p.stock === 0 || addToCart.isPending} onClick={() => addToCart.mutate({ product: p })}>
            {p.stock === 0 ? 'Sold out' : 'Add to cart'}
          </button>
          <WishlistButton product={p} className="wish wish-text" withText />
        </div>
      </div>
    </article>
  );
}
