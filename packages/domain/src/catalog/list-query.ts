import type { CatalogListInput, CatalogSort } from '@shop/schemas';
import { invalidCursor } from '../keyset.ts';
import { type CatalogCursor as Cursor, decodeCursor } from './cursor.ts';
import { PRODUCT_SUMMARY_COLUMNS, type ProductSummaryRow } from './product-row.ts';
import {
  CATEGORY_BY_SLUG,
  DENSE_WINDOW,
  MATCHES_FIRST,
  MAX_WINDOW_WORDS,
  SEARCH_CATEGORIES,
  type SearchTerms,
  SPARSE_MATCHES,
  searchTerms,
  searchWords,
  TIERS,
  whereSql,
} from './search-sql.ts';
import { type ListStatement, windowMatches } from './windows.ts';

/** A row of catalogListQuery: a product summary and its sort key, as PostgreSQL printed it. */
export interface CatalogListRow extends ProductSummaryRow {
  sort_key: string;
}

/** A catalog statement's SQL (`?` placeholders, parameters in text order) and the sort it pages by. */
export interface ListQuery {
  query: string;
  params: unknown[];
  sort: CatalogSort;
}

/** How a sort orders rows: by the key `k` (an SQL expression), with the id `id` breaking ties. */
interface SortSpec {
  /** The sort key of a product `p`. */
  key: string;
  /** The sort key's column. */
  column: string;
  /** SQL printing the key as text for the cursor. */
  keyText(k: string): string;
  orderBy(k: string, id: string): string;
  /** Condition for rows after the cursor; `?` placeholders take (key, id). */
  after(k: string, id: string): string;
}

type KeyedSort = Exclude<CatalogSort, 'relevance'>;

/** Each sort's key as an expression no index can order by: a search's matches are sorted instead. */
const UNINDEXED_KEYS: Record<KeyedSort, string> = {
  price_asc: '(p.price_cents + 0)',
  price_desc: '(p.price_cents + 0)',
  newest: "(p.created_at + interval '0')",
  name: "(p.name || '')",
};

const SORTS: Record<KeyedSort, SortSpec> = {
  price_asc: {
    key: 'p.price_cents',
    column: 'price_cents',
    keyText: (k) => `${k}::text`,
    orderBy: (k, id) => `${k} asc, ${id} asc`,
    after: (k, id) => `(${k}, ${id}) > (?::int, ?)`,
  },
  price_desc: {
    key: 'p.price_cents',
    column: 'price_cents',
    keyText: (k) => `${k}::text`,
    orderBy: (k, id) => `${k} desc, ${id} desc`,
    after: (k, id) => `(${k}, ${id}) < (?::int, ?)`,
  },
  // Microseconds since the epoch: exact, unlike a JavaScript Date.
  newest: {
    key: 'p.created_at',
    column: 'created_at',
    keyText: (k) => `(extract(epoch from ${k}) * 1000000)::bigint::text`,
    orderBy: (k, id) => `${k} desc, ${id} desc`,
    after: (k, id) => `(${k}, ${id}) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?)`,
  },
  name: {
    key: 'p.name',
    column: 'name',
    keyText: (k) => k,
    orderBy: (k, id) => `${k} asc, ${id} asc`,
    after: (k, id) => `(${k}, ${id}) > (?::text, ?)`,
  },
};

const FROM = 'from products p join categories c on c.id = p.category_id';

/** The input's filters: all of them, and their parameters in text order. */
interface Filters {
  filters: string[];
  filterParams: unknown[];
}

/**
 * The one SQL statement of a catalog page (with `?` placeholders, parameters in text order): pure,
 * so the benchmark's floor server runs exactly what the shop runs.
 */
export function catalogListQuery(input: CatalogListInput): ListQuery {
  const words = input.search ? searchWords(input.search) : [];
  const terms = searchTerms(words);
  const sort: CatalogSort = input.sort ?? (terms ? 'relevance' : 'newest');
  const cursor = input.cursor ? decodeCursor(input.cursor, sort) : null;

  // The category by a scalar subquery: its id is known before products are read, so a
  // (category_id, sort key, id) index yields the page in order.
  const f: Filters = { filters: [], filterParams: [] };
  if (input.category) {
    f.filters.push(`p.category_id = ${CATEGORY_BY_SLUG}`);
    f.filterParams.push(input.category);
  }
  if (input.minPriceCents !== undefined) {
    f.filters.push('p.price_cents >= ?');
    f.filterParams.push(input.minPriceCents);
  }
  if (input.maxPriceCents !== undefined) {
    f.filters.push('p.price_cents <= ?');
    f.filterParams.push(input.maxPriceCents);
  }
  if (input.inStock) f.filters.push('p.stock > 0');
  const limit = input.limit + 1;
  // (Relevance without a search has nothing to rank by: newest first, under its own cursor.)
  if (!terms) return listingQuery(f, limit, sort, cursor);

  // A search's windows are its categories' own rows (the one asked for, or the few its words occur
  // in): its words are dense there. A rare word's matches are read through the index at once.
  const s: ListStatement = {
    input,
    limit,
    filters: f.filters,
    filterParams: f.filterParams,
    outsideFilters: f.filters.slice(input.category ? 1 : 0),
    outsideParams: f.filterParams.slice(input.category ? 1 : 0),
    dense: input.category
      ? `(select coalesce(sum(matches), 0) from search_categories where category_id = ${CATEGORY_BY_SLUG}) > ${SPARSE_MATCHES}`
      : `(select coalesce(sum(matches), 0) from search_categories) > ${SPARSE_MATCHES}`,
    denseParams: input.category ? [input.category] : [],
    ctes: [SEARCH_CATEGORIES],
    params: [terms.words, terms.words],
  };
  if (sort === 'relevance') return relevanceQuery(s, f, terms, words.length, cursor);
  return sortedSearchQuery(s, f, terms, sort, cursor);
}

/** A page of the catalog (or a category of it), filtered, in a sort's order: one index range. */
function listingQuery(f: Filters, limit: number, sort: CatalogSort, cursor: Cursor | null): ListQuery {
  const spec = SORTS[sort === 'relevance' ? 'newest' : sort];
  const after = cursor ? [spec.after(spec.key, 'p.id')] : [];
  const params = [...f.filterParams, ...(cursor ? [cursor.key, cursor.id] : []), limit];
  const query = `select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.keyText(spec.key)} as sort_key ${FROM}
    ${whereSql([...f.filters, ...after])}
    order by ${spec.orderBy(spec.key, 'p.id')}
    limit ?`;
  return { query, params, sort };
}

/** A search by relevance: its tiers, best first, each in id order. */
function relevanceQuery(s: ListStatement, f: Filters, terms: SearchTerms, wordCount: number, cursor: Cursor | null): ListQuery {
  const sort = 'relevance';
  // Each tier is its own bounded lookup (at most a page and one row), in id order after the
  // cursor's position in that tier; tiers before the cursor's are left out. A tier runs only when
  // the tiers before it found less than a page (a one-time filter: its scan never starts).
  const cursorTier = cursor ? Number(cursor.key) : 0;
  if (cursor && !TIERS.some(({ tier }) => tier === cursorTier)) throw invalidCursor();
  const before: string[] = [];
  for (const { tier, match, params: matchParams, window, sparse, windowIf } of TIERS.filter(({ tier }) => tier >= cursorTier)) {
    const after = tier === cursorTier ? ['p.id > ?'] : [];
    const afterParams = tier === cursorTier ? [cursor?.id] : [];
    const gate = before.length ? [`(${before.map((t) => `(select count(*) from ${t})`).join(' + ')}) < ?`] : [];
    const gateParams = before.length ? [s.limit] : [];
    // Three words or more are seldom together in one name of 64 (their densities multiply): their
    // name tier goes to the index without reading a window that would not fill.
    const [readIf, readIfParams] = tier === 1 && wordCount > MAX_WINDOW_WORDS ? ['false', []] : windowIf ? windowIf(terms) : [null, []];
    // Dense matches (a common word, in names for tier 1, in descriptions for tier 2, a common
    // correction for tier 3) are met within the first rows in id order: read a bounded window of
    // them. Fewer than a page there: the index (for tier 1, the name words as exact lexemes), its
    // matches sorted by id.
    // (A correction, tier 3, may be a word of any category.)
    windowMatches(s, `d${tier}`, {
      conds: [...gate, ...(readIf ? [readIf] : []), ...after],
      condParams: [...gateParams, ...readIfParams, ...afterParams],
      order: (t) => `${t}.id`,
      size: window,
      columns: `${PRODUCT_SUMMARY_COLUMNS}, ${tier} as k`,
      match: [match],
      matchParams: matchParams(terms),
      ownCategories: tier !== 3,
    });
    const [sparseMatch, sparseParams] = sparse ? sparse(terms) : [match, matchParams(terms)];
    s.ctes.push(`t${tier} as materialized (select * from d${tier} where (select count(*) from d${tier}) >= ?
      union all (select ${PRODUCT_SUMMARY_COLUMNS}, ${tier} as k ${FROM}
      ${whereSql([`(select count(*) from d${tier}) < ?`, ...gate, sparseMatch, ...f.filters, ...after])} order by ${MATCHES_FIRST} limit ?))`);
    s.params.push(s.limit, s.limit, ...gateParams, ...sparseParams, ...f.filterParams, ...afterParams, s.limit);
    before.push(`t${tier}`);
  }
  s.params.push(s.limit);
  const query = `with ${s.ctes.join(',\n')}
    select s.*, s.k::text as sort_key from (${before.map((t) => `select * from ${t}`).join(' union all ')}) s order by s.k, s.id limit ?`;
  return { query, params: s.params, sort };
}

/** A search under another sort: the full-text matches and the typo corrections, in the sort's order. */
function sortedSearchQuery(s: ListStatement, f: Filters, terms: SearchTerms, sort: KeyedSort, cursor: Cursor | null): ListQuery {
  const spec = SORTS[sort];
  const after = cursor ? [spec.after(spec.key, 'p.id')] : [];
  const cursorParams = cursor ? [cursor.key, cursor.id] : [];
  // A search under another sort: the full-text matches and the typo corrections. A common word's
  // page is met within the first rows in the sort's order: a bounded window of them is read through
  // the sort's index. Fewer than a page there (a rare or absent word, for which walking the sort's
  // index read the whole table, ~7 s at a million products): the matches are found through the
  // search index and sorted, the key written so no index offers its order (`+ 0` and the like).
  const key = UNINDEXED_KEYS[sort];
  const unindexedAfter = cursor ? [spec.after(key, 'p.id')] : [];
  const fullText = `p.search @@ to_tsquery('english', ?)`;
  windowMatches(s, 'w', {
    conds: after,
    condParams: cursorParams,
    order: (t) => spec.orderBy(`${t}.${spec.column}`, `${t}.id`),
    key: spec.column,
    size: DENSE_WINDOW,
    columns: `${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k`,
    match: [fullText],
    matchParams: [terms.all],
  });
  s.ctes.push(
    `m as materialized (select * from w where (select count(*) from w) >= ?
      union all (select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k ${FROM}
      ${whereSql(['(select count(*) from w) < ?', fullText, ...f.filters, ...unindexedAfter])} order by ${spec.orderBy(key, 'p.id + 0')} limit ?))`,
    // Corrections of a misspelt word, only when the words have one at all (else it never starts).
    `t as materialized (select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k ${FROM}
      ${whereSql([`(select numnode(catalog_typo_query(?))) > 0`, TIERS[2]?.match ?? 'false', ...f.filters, ...unindexedAfter])}
      order by ${spec.orderBy(key, 'p.id + 0')} limit ?)`,
  );
  s.params.push(s.limit, s.limit, terms.all, ...f.filterParams, ...cursorParams, s.limit);
  s.params.push(terms.words, ...(TIERS[2]?.params(terms) ?? []), ...f.filterParams, ...cursorParams, s.limit);
  s.params.push(s.limit);
  const query = `with ${s.ctes.join(',\n')}
    select s.*, ${spec.keyText('s.k')} as sort_key from (select * from m union all select * from t) s
    order by ${spec.orderBy('s.k', 's.id')} limit ?`;
  return { query, params: s.params, sort };
}
