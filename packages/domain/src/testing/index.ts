export { seedCatalogFixture, walkCatalog } from './catalog-fixture.ts';
export { authedContext, claimedContext, createTestUser, MemorySession, testContext, testMfaSettings } from './context.ts';
export {
  ADDRESS,
  cartLines,
  createCategory,
  createProduct,
  createPromotion,
  EMPTY_CART,
  fillCart,
  orderCount,
  outcome,
  setCartCode,
  setVariants,
  stockOf,
  usesOf,
  variantStockOf,
} from './fixtures.ts';
