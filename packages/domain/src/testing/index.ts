export { seedCatalogFixture, walkCatalog } from './catalog-fixture.ts';
export { authedContext, createTestUser, MemorySession, testContext, testMfaSettings } from './context.ts';
export { ADDRESS, cartLines, createCategory, createProduct, fillCart, orderCount, outcome, stockOf } from './fixtures.ts';
