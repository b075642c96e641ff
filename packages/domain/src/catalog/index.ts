export { CATALOG_CHANGED_CHANNEL, type CatalogCache, type CatalogCacheOptions, createCatalogCache, noCatalogCache } from './cache.ts';
export { catalogListQuery, categoriesQuery, getProduct, listCategories, listProducts } from './catalog.service.ts';
export { encodeCursor } from './cursor.ts';
export { type ProductSummaryRow, toSummary } from './product-row.ts';
export { type CatalogQueryShape, catalogQueryShapes } from './query-shapes.ts';
