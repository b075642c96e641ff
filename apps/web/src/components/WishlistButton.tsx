import type { ProductSummary } from '@shop/schemas';
import { useLocation } from 'wouter';
import { authHref, useHere } from '../lib/signin.ts';
import { useToggleWishlist, useWishlist } from '../lib/useToggleWishlist.ts';

/**
 * A heart that saves or unsaves a product. A visitor who is not signed in is sent to sign in:
 * a wishlist belongs to an account.
 */
export function WishlistButton({
  product,
  className = 'wish',
  describedBy,
  withText = false,
}: {
  product: ProductSummary;
  className?: string;
  /** Spell the action out beside the heart (on the product page); otherwise it is the name only. */
  withText?: boolean;
  /** The id of the product's name, when the button sits in a list of products. */
  describedBy?: string;
}) {
  const wishlist = useWishlist();
  const toggle = useToggleWishlist();
  const [, navigate] = useLocation();
  const here = useHere();
  const saved = wishlist.has(product.id);
  const label = saved ? 'Remove from wishlist' : 'Save to wishlist';
  return (
    <button
      type="button"
      className={className}
      aria-pressed={saved}
      aria-label={withText ? undefined : label}
      aria-describedby={describedBy}
      // Unknown until the session and the list answer: the button keeps its place, inert.
      disabled={wishlist.items === undefined && !wishlist.list.isError}
      onClick={() => {
        if (!wishlist.me.data) navigate(authHref(here));
        else toggle.mutate({ product, save: !saved });
      }}
    >
      <span aria-hidden="true">{saved ? '♥' : '♡'}</span>
      {withText && ` ${label}`}
    </button>
  );
}
