import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { authHref, useHere } from '../lib/signin.ts';

/** A link to sign in that brings the shopper back to this page afterwards. */
export function SignInLink({ children = 'Sign in' }: { children?: ReactNode }) {
  return <Link href={authHref(useHere())}>{children}</Link>;
}
