export { getProduct, listCategories, listProducts } from './catalog.service.ts';
