import type { CatalogListInput } from '@shop/schemas';
import { encodeCursor } from './cursor.ts';

/**
 * Every shape of catalog read a shopper's browsing produces, named: the benchmark's mix and the
 * query-plan check both take them from here, so what is measured is what is checked. `size` is the
 * catalog's product count, for shapes that reach into it (a deep cursor).
 */
export interface CatalogQueryShape {
  name: string;
  /** A `catalog.list` input, or 'categories' for `catalog.categories` with its counts. */
  input: CatalogListInput | 'categories';
}

const list = (input: Partial<CatalogListInput>): CatalogListInput => ({ limit: 24, ...input });

export function catalogQueryShapes(size: number): CatalogQueryShape[] {
  return [
    { name: 'first page, newest', input: list({}) },
    { name: 'first page, price ascending', input: list({ sort: 'price_asc' }) },
    { name: 'first page, price descending', input: list({ sort: 'price_desc' }) },
    { name: 'first page, name', input: list({ sort: 'name' }) },
    { name: 'category page', input: list({ category: 'lighting' }) },
    {
      name: 'price ascending at a deep cursor',
      // Half-way through the catalog by id, at a mid-range price: a shopper many pages in.
      input: list({ sort: 'price_asc', cursor: encodeCursor({ sort: 'price_asc', key: '4999', id: Math.floor(size / 2) }) }),
    },
    { name: 'in stock only, price range', input: list({ inStock: true, minPriceCents: 1_000, maxPriceCents: 5_000 }) },
    // A noun of two categories' names: thousands of matches at 100,000 products and more.
    { name: 'search, common word', input: list({ search: 'lamp' }) },
    // A noun of one category: one name of ten there, one of 120 in the catalog (~8,400 matches at a
    // million), too sparse for the catalog's window, read from the category's.
    { name: 'search, a word of one category', input: list({ search: 'teapot' }) },
    { name: 'search, rare word', input: list({ search: 'heirloom' }) },
    { name: 'search, typo', input: list({ search: 'tepot' }) },
    { name: 'search, several words', input: list({ search: 'walnut desk lamp' }) },
    // A colour: in one description of ten, in no name (name tiers find nothing, tier 2 is dense).
    { name: 'search, word common in descriptions', input: list({ search: 'sage' }) },
    // A search under another sort, and one narrowed to a category: the sort's or the category's
    // rows are walked only as far as a bounded window, then the search index answers.
    { name: 'search sorted by price', input: list({ search: 'lamp', sort: 'price_asc' }) },
    { name: 'search within a category', input: list({ search: 'teapot', category: 'kitchen' }) },
    // A word of two categories' names (board: kitchen's chopping boards, toys' board games), each
    // category's window read in price order.
    { name: 'search sorted by price, a word of two categories', input: list({ search: 'board', sort: 'price_asc' }) },
    { name: 'categories with counts', input: 'categories' },
  ];
}
