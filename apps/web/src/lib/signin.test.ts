import { describe, expect, it } from 'vitest';
import { authHref, safeNext } from './signin.ts';

describe('safeNext', () => {
  it('keeps a path on this site, with its query and fragment', () => {
    expect(safeNext('/orders/abc?tab=lines#total')).toBe('/orders/abc?tab=lines#total');
    expect(safeNext('/checkout')).toBe('/checkout');
  });

  it.each([
    ['nothing', null],
    ['an empty value', ''],
    ['an absolute URL', 'https://evil.test/orders'],
    ['a protocol-relative URL', '//evil.test/orders'],
    ['a backslash a browser reads as a slash', '/\\evil.test'],
    ['a tab the URL parser drops', '/\t/evil.test'],
    ['a script URL', 'javascript:alert(1)'],
    ['a relative path', 'orders'],
    ['the sign-in page itself', '/signin?next=/orders'],
  ])('falls back to the shop for %s', (_, next) => {
    expect(safeNext(next)).toBe('/');
  });
});

describe('authHref', () => {
  it('carries the page to come back to, and leaves it off for the shop itself', () => {
    expect(authHref('/c/kitchen?sort=price_asc')).toBe('/signin?next=%2Fc%2Fkitchen%3Fsort%3Dprice_asc');
    expect(authHref('/wishlist', 'signup')).toBe('/signup?next=%2Fwishlist');
    expect(authHref('/')).toBe('/signin');
    expect(authHref('//evil.test')).toBe('/signin');
  });
});
