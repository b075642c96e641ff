import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Whether a user who is neither owner nor group member (nginx's workers as `nobody`, embedded
 * PostgreSQL as `postgres`, when root started them) can reach `dir`: every folder above it lets
 * others through, and `dir` itself grants them `access` (list and enter by default). A checkout
 * under root's 0700 home does not.
 */
export function reachableByOthers(dir: string, access: 'list' | 'enter' = 'list'): boolean {
  let path = resolve(dir);
  const mask = access === 'list' ? 0o005 : 0o001;
  try {
    if ((statSync(path).mode & mask) !== mask) return false;
    while (path !== dirname(path)) {
      path = dirname(path);
      if ((statSync(path).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}
