export { seedCatalogFixture } from './catalog-fixture.ts';
export { createTestUser, MemorySession, testContext } from './context.ts';
export { ADDRESS, authedContext, cartLines, createCategory, createProduct, fillCart, orderCount, outcome, stockOf } from './fixtures.ts';
