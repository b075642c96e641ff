import { seedDemo } from '@shop/db';
import { createTestDatabase, type TestDatabase } from '@shop/db/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { explainCatalogShapes } from './plans.ts';
import { DENSE_WINDOW, TYPO_WINDOW } from './search-sql.ts';

// Large enough that the planner's choices are the ones a big catalog gets (a small table is read
// whole, rightly); seeding it takes a few seconds.
const SIZE = 100_000;
/** Two tiers' windows and a rare word's matches (~5 here); a typo's search reads its window too. */
const maxRowsRead = (shape: string) => 2 * DENSE_WINDOW + 200 + (shape.includes('typo') ? TYPO_WINDOW : 0);
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  await seedDemo(db.orm.em.fork(), { products: SIZE, accounts: false });
}, 120_000);
afterAll(() => db?.drop());

describe('catalog query plans', () => {
  it(`read no shape's products whole at ${SIZE.toLocaleString('en')} products`, async () => {
    const conn = db.orm.em.getConnection();
    const plans = await explainCatalogShapes((query, params) => conn.execute(query, params), SIZE, { repetitions: 1 });
    expect(plans.length).toBeGreaterThan(10);
    expect(plans.filter((p) => p.scansEveryRow).map((p) => `${p.name}: ${p.topNode}`)).toEqual([]);
    // Nor every match of a word of thousands (2,000 lamps here, 20,000 at a million).
    expect(
      plans.filter((p) => p.productRowsRead > maxRowsRead(p.name)).map((p) => `${p.name}: ${p.productRowsRead} (${p.topNode})`),
    ).toEqual([]);
  }, 60_000);
});
