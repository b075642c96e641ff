export { seedCatalogFixture } from './catalog-fixture.ts';
export { createTestUser, MemorySession, testContext } from './context.ts';
