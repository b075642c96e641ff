export { catalogListQuery, getProduct, listCategories, listProducts } from './catalog.service.ts';
