import type { ProductSummary } from '@shop/schemas';
import { Link } from 'wouter';
import { formatPrice } from '../lib/format.ts';

export function ProductCard({ product }: { product: ProductSummary }) {
  return (
    <li className="card">
      <Link href={`/p/${product.slug}`} className="card-link">
        <img src={product.imageUrl} alt="" width={400} height={400} loading="lazy" decoding="async" />
        <span className="card-category">{product.category.name}</span>
        <span className="card-name">{product.name}</span>
      </Link>
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
