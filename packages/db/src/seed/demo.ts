import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '@shop/auth';
import { type SeedPhase, seedDatabase } from './seed.ts';

/** The demo accounts; the README states these credentials. */
export const DEMO_ACCOUNTS = [
  { email: 'shopper@shop.test', password: 'shopper-password', name: 'Sam Shopper', role: 'shopper' },
  { email: 'staff@shop.test', password: 'staff-password', name: 'Stella Staff', role: 'staff' },
] as const;

/** A promotion code to try the cart with, seeded with the demo accounts; the README states it. */
const DEMO_PROMOTION = { code: 'WELCOME10', kind: 'percent', value: 10 } as const;

export const DEFAULT_PRODUCT_COUNT = 1_000;
/**
 * Bumped whenever the generated catalog changes (names, words, spread): a benchmark database seeded
 * by an older version is seeded again rather than measured with data the shapes do not expect.
 */
export const DEMO_SEED_VERSION = 4;

export interface DemoOptions {
  products?: number;
  /**
   * The demo accounts, whose passwords the README prints, and the demo promotion code: only where
   * someone asked for demo data.
   * No default: every caller says which it is.
   */
  accounts: boolean;
  onProgress?: (done: number, total: number, phase: SeedPhase) => void;
}

export async function seedDemo(em: EntityManager, { products = DEFAULT_PRODUCT_COUNT, accounts, onProgress }: DemoOptions): Promise<void> {
  const users = accounts
    ? await Promise.all(DEMO_ACCOUNTS.map(async ({ password, ...account }) => ({ ...account, passwordHash: await hashPassword(password) })))
    : [];
  await seedDatabase(em, { products, users, ...(onProgress ? { onProgress } : {}) });
  if (accounts) {
    await em
      .getConnection()
      .execute('insert into promotions (code, kind, value) values (?, ?, ?) on conflict (code) do nothing', [
        DEMO_PROMOTION.code,
        DEMO_PROMOTION.kind,
        DEMO_PROMOTION.value,
      ]);
  }
}
