import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts small secrets for storage (TOTP seeds), with keys derived from the session secrets:
 * a database dump alone does not give away anyone's second factor. Seals with the newest key,
 * opens with any (so rotating the session secret keeps working while the old one stays listed);
 * `stale` says a value should be re-sealed with the newest key. The context (a user id) is bound
 * to the ciphertext, so a sealed value moved to another row does not open.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): { plaintext: string; stale: boolean } | null;
}

const VERSION = 'v1';

export function createSecretBox(secrets: readonly string[]): SecretBox {
  if (secrets.length === 0) throw new Error('at least one secret is required');
  const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'shop-secret-box', 'totp-secret', 32)));
  const newest = keys[0] as Buffer;
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', newest, iv).setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, ivText, bodyText] = sealed.split('.');
      if (version !== VERSION || !ivText || !bodyText) return null;
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < 16) return null;
      for (const [index, key] of keys.entries()) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context));
          decipher.setAuthTag(body.subarray(body.length - 16));
          const plaintext = Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString('utf8');
          return { plaintext, stale: index > 0 };
        } catch {
          // Not this key (or tampered): try the next.
        }
      }
      return null;
    },
  };
}
