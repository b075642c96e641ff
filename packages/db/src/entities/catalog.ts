import { defineEntity, p } from '@mikro-orm/core';

const CategorySchema = defineEntity({
  name: 'Category',
  tableName: 'categories',
  properties: {
    id: p.integer().primary().autoincrement(),
    slug: p.string().length(80).unique('categories_slug_unique'),
    name: p.string().length(80),
    // Kept by triggers on products (migration catalog_scale): listing categories counts nothing.
    productCount: p.integer().default(0).check('product_count >= 0'),
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
    // Search relevance tiers (catalog/search-sql.ts): the name's words, and the description's words
    // that are not in the name.
    nameSearch: p
      .type('tsvector')
      .columnType('tsvector')
      .generated("(to_tsvector('english', coalesce(name, ''))) stored")
      .lazy()
      .hidden()
      .nullable(),
    extraSearch: p
      .type('tsvector')
      .columnType('tsvector')
      .generated(
        "(ts_delete(to_tsvector('english', coalesce(description, '')), tsvector_to_array(to_tsvector('english', coalesce(name, ''))))) stored",
      )
      .lazy()
      .hidden()
      .nullable(),
  },
  indexes: [
    { name: 'products_search_idx', properties: ['search'], type: 'gin' },
    { name: 'products_name_search_idx', properties: ['nameSearch'], type: 'gin' },
    { name: 'products_extra_search_idx', properties: ['extraSearch'], type: 'gin' },
    { name: 'products_price_idx', properties: ['priceCents', 'id'] },
    { name: 'products_created_idx', properties: ['createdAt', 'id'] },
    { name: 'products_name_idx', properties: ['name', 'id'] },
    { name: 'products_category_price_idx', properties: ['category', 'priceCents', 'id'] },
    { name: 'products_category_created_idx', properties: ['category', 'createdAt', 'id'] },
    { name: 'products_category_name_idx', properties: ['category', 'name', 'id'] },
    // A search within a category reads a window of the category's own rows, in id order.
    { name: 'products_category_id_idx', properties: ['category', 'id'] },
  ],
});
export class Product extends ProductSchema.class {}
ProductSchema.setClass(Product);

/**
 * What a shopper buys: a product in one combination of its options (size M, colour Sage), with its
 * own SKU, price and stock. Every product has at least one; one without options has exactly one,
 * with `options: {}`. products.price_cents and products.stock are the lowest price and the total
 * stock of its variants, kept by triggers (migration variants), so catalog listings read products
 * alone.
 */
const ProductVariantSchema = defineEntity({
  name: 'ProductVariant',
  tableName: 'product_variants',
  properties: {
    id: p.integer().primary().autoincrement(),
    product: () => p.manyToOne(Product).deleteRule('cascade'),
    sku: p.string().length(160),
    options: p.json<Record<string, string>>().default('{}'),
    priceCents: p.integer().check('price_cents >= 0'),
    // The database, not the application, guarantees stock never goes below zero.
    stock: p.integer().default(0).check('stock >= 0'),
  },
  // Deferrable, so one save can swap two variants' SKUs or options (admin writeVariants). The
  // second is also the index of a product's variants (its leading column).
  uniques: [
    { name: 'product_variants_sku_unique', properties: ['sku'], deferMode: 'immediate' },
    { name: 'product_variants_product_options_unique', properties: ['product', 'options'], deferMode: 'immediate' },
  ],
});
export class ProductVariant extends ProductVariantSchema.class {}
ProductVariantSchema.setClass(ProductVariant);

/** A product's option (Size: S, M, L), in the order the product page shows them. */
const ProductOptionSchema = defineEntity({
  name: 'ProductOption',
  tableName: 'product_options',
  properties: {
    product: () => p.manyToOne(Product).primary().deleteRule('cascade'),
    position: p.integer().primary(),
    name: p.string().length(40),
    optionValues: p.json<string[]>(),
  },
});
export class ProductOption extends ProductOptionSchema.class {}
ProductOptionSchema.setClass(ProductOption);

/**
 * The distinct words of product names, kept by a trigger on products: a misspelt search word is
 * corrected against these (trigram similarity), never against every product's name.
 */
const SearchWordSchema = defineEntity({
  name: 'SearchWord',
  tableName: 'search_words',
  properties: {
    word: p.text().primary(),
    // The word's English stem, as full-text search matches it (C collation: prefix range scans).
    lexeme: p.text().collation('C'),
  },
  indexes: [
    {
      name: 'search_words_word_trgm_idx',
      expression: 'create index "search_words_word_trgm_idx" on "search_words" using gin ("word" gin_trgm_ops)',
    },
    { name: 'search_words_lexeme_idx', properties: ['lexeme'] },
  ],
});
export class SearchWord extends SearchWordSchema.class {}
SearchWordSchema.setClass(SearchWord);

/**
 * How many products of each category hold each search word (a lexeme of their names and
 * descriptions), kept by triggers on products: a search reads the rows of the few categories its
 * words occur in, and the index at once when they are rare (catalog/windows.ts).
 */
const SearchTermCategorySchema = defineEntity({
  name: 'SearchTermCategory',
  tableName: 'search_term_categories',
  properties: {
    lexeme: p.text().collation('C').primary(),
    category: () => p.manyToOne(Category).primary().deleteRule('cascade'),
    products: p.integer().default(0).check('products >= 0'),
  },
});
export class SearchTermCategory extends SearchTermCategorySchema.class {}
SearchTermCategorySchema.setClass(SearchTermCategory);
