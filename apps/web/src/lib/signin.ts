import { useLocation, useSearch } from 'wouter';

const AUTH_PATHS = new Set(['/signin', '/signup']);

/**
 * Where to go after signing in: `next` only if it is a path on this site. Anything a browser
 * could read as another origin (`//evil.test`, `/\evil.test`, `https://…`) falls back to the shop.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  const base = 'http://same-site.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return '/';
  }
  if (url.origin !== base || AUTH_PATHS.has(url.pathname)) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `/signin` (or `/signup`) that comes back to `next` afterwards. */
export function authHref(next: string, mode: 'signin' | 'signup' = 'signin'): string {
  const target = safeNext(next);
  return target === '/' ? `/${mode}` : `/${mode}?next=${encodeURIComponent(target)}`;
}

/** The page being shown, with its query, as a `next` value. */
export function useHere(): string {
  const [path] = useLocation();
  const search = useSearch();
  return search ? `${path}?${search}` : path;
}

/** The `next` this sign-in page was opened with, checked. */
export function useNext(): string {
  return safeNext(new URLSearchParams(useSearch()).get('next'));
}
