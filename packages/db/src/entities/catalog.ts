import { defineEntity, p } from '@mikro-orm/core';

const CategorySchema = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p.integer().primary().autoincrement(),
    slug: p.string().length(80).unique('categories_slug_unique'),
    name: p.string().length(80),
  },
});
export class Category extends CategorySchema.class {}
CategorySchema.setClass(Category);

/**
 * Sort keys are paired with `id` in every index so keyset pagination stays an index range scan
 * and never skips or repeats rows whose sort values tie.
 */
const ProductSchema = defineEntity({
  name: 'Product',
  tableName: 'products',
  properties: {
    id: p.integer().primary().autoincrement(),
    slug: p.string().length(120).unique('products_slug_unique'),
    name: p.string().length(200),
    description: p.text(),
    priceCents: p.integer().check('price_cents >= 0'),
    currency: p.string().length(3).default('EUR'),
    imageUrl: p.string().length(500),
    // The database, not the application, guarantees stock never goes below zero.
    stock: p.integer().default(0).check('stock >= 0'),
    category: () => p.manyToOne(Category).deleteRule('restrict'),
    createdAt: p.datetime().defaultRaw('now()'),
    // Maintained by PostgreSQL; queried through raw SQL only, never loaded into entities.
    search: p
      .type('tsvector')
      .columnType('tsvector')
      .generated(
        "(setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')) stored",
      )
      .lazy()
      .hidden()
      .nullable(),
  },
  indexes: [
    { name: 'products_search_idx', properties: ['search'], type: 'gin' },
    // Typo-tolerant search falls back to trigram similarity on the name (pg_trgm).
    {
      name: 'products_name_trgm_idx',
      expression: 'create index "products_name_trgm_idx" on "products" using gin ("name" gin_trgm_ops)',
    },
    { name: 'products_price_idx', properties: ['priceCents', 'id'] },
    { name: 'products_created_idx', properties: ['createdAt', 'id'] },
    { name: 'products_name_idx', properties: ['name', 'id'] },
    { name: 'products_category_price_idx', properties: ['category', 'priceCents', 'id'] },
    { name: 'products_category_created_idx', properties: ['category', 'createdAt', 'id'] },
    { name: 'products_category_name_idx', properties: ['category', 'name', 'id'] },
  ],
});
export class Product extends ProductSchema.class {}
ProductSchema.setClass(Product);
