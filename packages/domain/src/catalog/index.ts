export { CATALOG_CHANGED_CHANNEL, type CatalogCache, type CatalogCacheOptions, createCatalogCache, noCatalogCache } from './cache.ts';
export {
  CATEGORIES_QUERY,
  type CatalogListRow,
  catalogListQuery,
  catalogPage,
  getProduct,
  listCategories,
  listProducts,
} from './catalog.service.ts';
export { encodeCursor } from './cursor.ts';
export { type ExecuteSql, explainCatalogShapes, type ShapePlan } from './plans.ts';
export { type ProductSummaryRow, toSummary } from './product-row.ts';
export { type CatalogQueryShape, catalogQueryShapes } from './query-shapes.ts';
