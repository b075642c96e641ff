export { CATALOG_CHANGED_CHANNEL, type CatalogCache, type CatalogCacheOptions, createCatalogCache, noCatalogCache } from './cache.ts';
export { CATEGORIES_QUERY, catalogPage, getProduct, listCategories, listProducts } from './catalog.service.ts';
export { encodeCursor } from './cursor.ts';
export { type CatalogListRow, catalogListQuery } from './list-query.ts';
export { type ExecuteSql, explainCatalogShapes, type ShapePlan } from './plans.ts';
export { type ProductSummaryRow, toSummary } from './product-row.ts';
export { type CatalogQueryShape, catalogQueryShapes } from './query-shapes.ts';
