import { Link } from 'wouter';
import { SignInLink } from '../components/SignInLink.tsx';
import { formatPrice } from '../lib/format.ts';
import { useAddToCart } from '../lib/useAddToCart.ts';
import { useToggleWishlist, useWishlist } from '../lib/useToggleWishlist.ts';

function WishlistRowSkeleton() {
  return (
    <li className="wish-row wish-row-skeleton" aria-hidden="true">
      <span className="skeleton-image" />
      <span>
        <span className="skeleton-line" />
        <span className="skeleton-line short" />
      </span>
    </li>
  );
}

/** The products the signed-in shopper saved, to buy or to forget. */
export default function WishlistPage() {
  const wishlist = useWishlist();
  const toggle = useToggleWishlist();
  const addToCart = useAddToCart();

  if (wishlist.items === null) {
    return (
      <section className="empty">
        <h1>Sign in to see your wishlist</h1>
        <SignInLink />
      </section>
    );
  }
  const { list } = wishlist;
  const items = wishlist.items ?? [];
  const loading = wishlist.items === undefined && !list.isError;
  return (
    <section className="wishlist" aria-labelledby="wishlist-title">
      <h1 id="wishlist-title">Your wishlist</h1>
      {list.isError ? (
        <div role="alert" className="error">
          <p>Could not load your wishlist: {list.error.message}</p>
          <button type="button" onClick={() => void list.refetch()}>
            Try again
          </button>
        </div>
      ) : !loading && items.length === 0 ? (
        <div className="empty">
          <p>Nothing saved yet. Tap the heart on a product to keep it here.</p>
          <Link href="/">Browse the shop</Link>
        </div>
      ) : (
        <ul className="wish-list" aria-busy={loading} aria-label="Saved products">
          {items.map((p) => (
            <li key={p.id} className="wish-row">
              <img src={p.imageUrl} alt="" width={96} height={96} loading="lazy" decoding="async" />
              <div className="wish-info">
                <Link href={`/p/${p.slug}`} className="card-name">
                  {p.name}
                </Link>
                <span className="card-price">{formatPrice(p.priceCents, p.currency)}</span>
                <span className={p.stock > 0 ? 'stock' : 'stock stock-out'}>{p.stock > 0 ? 'In stock' : 'Sold out'}</span>
              </div>
              <div className="wish-actions">
                {/* Each name starts with the visible text and ends with the product: every row has the same two buttons. */}
                <button
                  type="button"
                  aria-label={`${p.stock === 0 ? 'Sold out' : 'Add to cart'}: ${p.name}`}
                  disabled={p.stock === 0}
                  onClick={() => addToCart.mutate({ product: p })}
                >
                  {p.stock === 0 ? 'Sold out' : 'Add to cart'}
                </button>
                <button
                  type="button"
                  className="secondary"
                  aria-label={`Remove ${p.name} from wishlist`}
                  onClick={() => toggle.mutate({ product: p, save: false })}
                >
                  Remove
                </button>
              </div>
            </li>
          ))}
          {loading && Array.from({ length: 3 }, (_, i) => <WishlistRowSkeleton key={`s${i}`} />)}
        </ul>
      )}
    </section>
  );
}
