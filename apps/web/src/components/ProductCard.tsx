import type { ProductSummary } from '@shop/schemas';
import { useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'wouter';
import { formatPrice } from '../lib/format.ts';
import { useTRPC } from '../lib/trpc.ts';
import { WishlistButton } from './WishlistButton.tsx';

export function ProductCard({ product }: { product: ProductSummary }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const nameId = useId();
  // Pointing at or tabbing to a card fetches its page ahead: the click then renders at once.
  // Within the cache's stale time this is a no-op, so sweeping the pointer over a grid is cheap.
  const prefetch = () => void queryClient.prefetchQuery(trpc.catalog.product.queryOptions({ slug: product.slug }));
  return (
    <li className="card">
      <Link href={`/p/${product.slug}`} className="card-link" onPointerEnter={prefetch} onFocus={prefetch}>
        <img src={product.imageUrl} alt="" width={400} height={400} loading="lazy" decoding="async" />
        <span className="card-category">{product.category.name}</span>
        <span className="card-name" id={nameId}>
          {product.name}
        </span>
      </Link>
      <WishlistButton product={product} className="wish wish-card" describedBy={nameId} />
      <span className="card-price">{formatPrice(product.priceCents, product.currency)}</span>
      <span className={product.stock > 0 ? 'stock' : 'stock stock-out'}>{product.stock > 0 ? 'In stock' : 'Sold out'}</span>
    </li>
  );
}

export function ProductCardSkeleton() {
  return (
    <li className="card card-skeleton" aria-hidden="true">
      <span className="skeleton-image" />
      <span className="skeleton-line" />
      <span className="skeleton-line short" />
    </li>
  );
}
