// pnpm db:seed [--products N] [--reset] [--catalog-only]: loads the demo catalog and accounts
// (--catalog-only: no accounts, for a deployment, whose staff comes from `pnpm staff:create`).
import { parseArgs } from 'node:util';
import { createOrm, migrate } from '../orm.ts';
import { DEFAULT_PRODUCT_COUNT, seedDemo } from '../seed/demo.ts';
import { isSeeded, resetShop } from '../seed/seed.ts';
import { cliDatabase } from './env.ts';

const { values } = parseArgs({
  options: {
    products: { type: 'string', default: String(DEFAULT_PRODUCT_COUNT) },
    reset: { type: 'boolean', default: false },
    'catalog-only': { type: 'boolean', default: false },
  },
});
const products = Number(values.products);
if (!Number.isInteger(products) || products < 1 || products > 10_000_000) {
  console.error(`--products must be a whole number from 1 to 10000000, got "${values.products}"`);
  process.exit(2);
}

const db = await cliDatabase();
const orm = await createOrm({ url: db.url });
try {
  await migrate(orm);
  const em = orm.em.fork();
  if (await isSeeded(em)) {
    if (!values.reset) {
      console.error('the database already holds a catalog; run with --reset to replace everything in it');
      process.exitCode = 1;
    } else {
      await resetShop(em);
    }
  }
  if (process.exitCode !== 1) {
    const started = performance.now();
    await seedDemo(em, {
      products,
      accounts: !values['catalog-only'],
      onProgress: (done, total, phase) =>
        process.stderr.write(
          phase === 'products' ? `\rloading products ${done}/${total}` : `${done === 1 ? '\n' : '\r'}building indexes ${done}/${total}`,
        ),
    });
    process.stderr.write('\n');
    console.log(`seeded ${products} products in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
} finally {
  await orm.close();
  await db.stop();
}
