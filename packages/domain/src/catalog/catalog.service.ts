import type { CatalogListInput, CatalogSort, Category, Page, Product, ProductSummary } from '@shop/schemas';
import type { ServiceContext } from '../context.ts';
import { notFound } from '../errors.ts';
import { invalidCursor } from '../keyset.ts';
import { sql } from '../sql.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { findProduct, PRODUCT_SUMMARY_COLUMNS, type ProductSummaryRow, toSummary } from './product-row.ts';

/** A row of catalogListQuery: a product summary and its sort key, as PostgreSQL printed it. */
export interface CatalogListRow extends ProductSummaryRow {
  sort_key: string;
}

/** The words of a search, lower-cased: at most eight, letters and digits only (nothing else reaches SQL). */
export function searchWords(search: string): string[] {
  return (
    search
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, 8) ?? []
  );
}

/** Words of the query as prefix terms: "oak tab" → oak:* & tab:* (nothing else reaches to_tsquery). */
export function toPrefixQuery(search: string): string | null {
  const words = searchWords(search);
  return words.length ? words.map((w) => `${w}:*`).join(' & ') : null;
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

/**
 * Relevance is a tier, best first, then the id (catalog order):
 *   1. every word (as a prefix) in the product's name;
 *   2. every word somewhere, some only in the description;
 *   3. a misspelt word corrected (catalog_typo_query: a word that starts no known word may be one
 *      of the closest words of product names, by trigram similarity).
 * Today's ranking scored every match (ts_rank plus word similarity over thousands of rows for a
 * common word, ~1.3 s at a million products) to sort them; tiers keep its order where it mattered
 * (name matches first, typos last) while every tier is one index lookup whose rows come in id
 * order: a page reads the first rows of three lookups, whatever the number of matches. What is
 * given up: within a tier, no finer score (how often or how close a word occurs).
 */
/**
 * Tiers 2 and 3 are mostly empty or small: their rows are found through the index, then sorted
 * (`+ 0` keeps the primary key's order out of reach). An id-ordered scan filtering every row is
 * what the planner would otherwise pick when it cannot tell a word is absent (it assumes half the
 * rarest tracked word's frequency), and it then reads the whole table for rows that are not there.
 */
const MATCHES_FIRST = 'p.id + 0';

/**
 * Rows in id order a common word's first page is looked for in (a word in one name of 64 or more
 * fills a page there); rarer matches are read through the name index instead.
 */
export const DENSE_WINDOW = 1_600;
/**
 * The same for a typo's corrections (tier 3), wider: a correction is a whole product word (a noun of
 * a category, e.g. teapot, is in one name of ~120), found in the window in a few thousand rows, where
 * the index would fetch and sort all its matches (~8,400 at a million). The window's scan stops at a
 * page, so its full width is only read when the correction is rarer than one in 160.
 */
export const TYPO_WINDOW = 4_000;
/** Categories of a search's words beyond which its windows are the whole catalog's. */
export const MAX_SEARCH_CATEGORIES = 4;
/** The shortest window of a category's rows a search reads. */
const MIN_CATEGORY_WINDOW = 200;
/** Matches (at most) a search reads through the index at once, without a window. */
export const SPARSE_MATCHES = 1_000;
/**
 * The categories every word of a search occurs in, each with the most products it can match there
 * (its rarest word's count: `search_term_categories`, the words as prefixes): all the search's
 * matches lie there. Its parameter is the words, twice; its lexemes are the ones to_tsquery
 * matches the words by.
 */
export const SEARCH_CATEGORIES = `search_categories as materialized (select category_id, min(n) as matches from (
    select l, s.category_id, sum(s.products) as n from unnest(tsvector_to_array(to_tsvector('english', ?))) l
    join search_term_categories s on s.lexeme >= l and s.lexeme < l || chr(1114111) and s.products > 0
    group by l, s.category_id) s
  group by category_id
  having count(*) = (select count(*) from unnest(tsvector_to_array(to_tsvector('english', ?)))))`;
/** The search's categories, when there are MAX_SEARCH_CATEGORIES or fewer (else null). */
const FEW_CATEGORIES = `(select case when count(*) <= ${MAX_SEARCH_CATEGORIES} then coalesce(array_agg(category_id), '{}') end from search_categories)`;
const CATEGORY_BY_SLUG = '(select id from categories where slug = ?)';
/** Words of a search beyond which its name tier reads no window. */
const MAX_WINDOW_WORDS = 2;
/** Tier 1 through the index: the words' prefixes expanded to the name words they start (catalog_name_query). */
const NAME_MATCH = `p.name_search @@ (select catalog_name_query(?))`;
/**
 * Whether every word (its stem, as full-text search matches it) starts a word of some product name,
 * from `search_words`: one probe of its lexeme index per word. A word that starts none (a typo, or a
 * word only descriptions have) leaves tier 1 empty, so its window is not read: a typo does not pay
 * for a window that cannot match. (A name lexeme `search_words` does not list, e.g. '1.5', is still
 * found, through the name index, which keeps such a word's prefix.) Tier 3's window is read only
 * in the other case: at most one of the two is.
 */
const NAME_WORDS_KNOWN = `(select coalesce(bool_and(exists (select 1 from search_words k
    where k.lexeme >= w.stem and k.lexeme < w.stem || chr(1114111))), true)
  from (select (ts_lexize('english_stem', t))[1] as stem from unnest(string_to_array(?, ' ')) t) w where w.stem is not null)`;

interface Tier {
  tier: number;
  match: string;
  params: (q: SearchTerms) => unknown[];
  /** Rows in id order the tier's first page is looked for in before its index is read. */
  window: number;
  /** The tier's match through the index, when not `match`. */
  sparse?: (q: SearchTerms) => [string, unknown[]];
  /** Conditions (and their parameters) for the window to be read at all. */
  windowIf?: (q: SearchTerms) => [string, unknown[]];
}

const TIERS: Tier[] = [
  {
    tier: 1,
    match: `p.name_search @@ to_tsquery('english', ?)`,
    params: (q) => [q.all],
    window: DENSE_WINDOW,
    sparse: (q) => [NAME_MATCH, [q.words]],
    windowIf: (q) => [NAME_WORDS_KNOWN, [q.words]],
  },
  {
    tier: 2,
    // Looked up through the description-only words, whose selectivity the planner knows: a word that
    // is in every matching name (all of them, for "lamp") finds nothing there at once.
    match: `p.extra_search @@ to_tsquery('english', ?) and p.search @@ to_tsquery('english', ?)
      and not p.name_search @@ to_tsquery('english', ?)`,
    params: (q) => [q.any, q.all, q.all],
    window: DENSE_WINDOW,
  },
  {
    tier: 3,
    // A scalar subquery: the correction is looked up once, not once per row rechecked.
    match: `p.search @@ (select catalog_typo_query(?)) and not p.search @@ to_tsquery('english', ?)`,
    params: (q) => [q.words, q.all],
    window: TYPO_WINDOW,
    // Only a word that starts no name word is corrected: words that all do (a rare word's search
    // reaching this tier) have no correction to look for in the window.
    windowIf: (q) => [`not ${NAME_WORDS_KNOWN}`, [q.words]],
  },
];

interface SearchTerms {
  /** Every word as a prefix: oak:* & tab:* */
  all: string;
  /** Any word as a prefix: oak:* | tab:* */
  any: string;
  /** The words, space-separated, for catalog_typo_query. */
  words: string;
}

const FROM = 'from products p join categories c on c.id = p.category_id';
const whereSql = (conditions: string[]) => (conditions.length ? `where ${conditions.join(' and ')}` : '');

/** `catalog.categories`: every category with its product count (kept by triggers on products). */
export const CATEGORIES_QUERY = `select c.id, c.slug, c.name, c.product_count as "productCount" from categories c order by c.name`;

export function listCategories(ctx: ServiceContext): Promise<Category[]> {
  return ctx.catalogCache.read('categories', () => sql<Category>(ctx.em, CATEGORIES_QUERY));
}

/**
 * The one SQL statement of a catalog page (with `?` placeholders, parameters in text order): pure,
 * so the benchmark's floor server runs exactly what the shop runs.
 */
export function catalogListQuery(input: CatalogListInput): { query: string; params: unknown[]; sort: CatalogSort } {
  const words = input.search ? searchWords(input.search) : [];
  const terms: SearchTerms | null = words.length
    ? { all: words.map((w) => `${w}:*`).join(' & '), any: words.map((w) => `${w}:*`).join(' | '), words: words.join(' ') }
    : null;
  const sort: CatalogSort = input.sort ?? (terms ? 'relevance' : 'newest');
  const cursor = input.cursor ? decodeCursor(input.cursor, sort) : null;

  // The category by a scalar subquery: its id is known before products are read, so a
  // (category_id, sort key, id) index yields the page in order.
  const filters: string[] = [];
  const filterParams: unknown[] = [];
  // A search's windows are the category's own first rows: its words are dense there.
  const inCategory = input.category ? [`p.category_id = ${CATEGORY_BY_SLUG}`] : [];
  const categoryParams = input.category ? [input.category] : [];
  filters.push(...inCategory);
  filterParams.push(...categoryParams);
  if (input.minPriceCents !== undefined) {
    filters.push('p.price_cents >= ?');
    filterParams.push(input.minPriceCents);
  }
  if (input.maxPriceCents !== undefined) {
    filters.push('p.price_cents <= ?');
    filterParams.push(input.maxPriceCents);
  }
  if (input.inStock) filters.push('p.stock > 0');
  const outsideFilters = filters.slice(inCategory.length);
  const outsideParams = filterParams.slice(categoryParams.length);
  const limit = input.limit + 1;
  const params: unknown[] = [];
  // Without a category asked for, a search whose words all occur in a few categories (a noun of one:
  // teapot, lamp) has all its matches there: its windows are those categories' rows.
  const ctes: string[] = [];
  if (terms) {
    ctes.push(SEARCH_CATEGORIES);
    params.push(terms.words, terms.words);
  }
  // A rare word's matches (in the category asked for) are read through the index at once.
  const [dense, denseParams] = input.category
    ? [
        `(select coalesce(sum(matches), 0) from search_categories where category_id = ${CATEGORY_BY_SLUG}) > ${SPARSE_MATCHES}`,
        [input.category],
      ]
    : [`(select coalesce(sum(matches), 0) from search_categories) > ${SPARSE_MATCHES}`, []];
  /**
   * A window's matches, as the CTE `name` (with `columns`, at most a page and one): the first `size`
   * rows in `order` meeting `conds`, from each of the search's categories (asked for, or those its
   * words occur in; `ownCategories` false: only one asked for), else from the whole catalog; then
   * those meeting `match`.
   */
  const windowMatches = (
    name: string,
    w: {
      conds: string[];
      condParams: unknown[];
      /** The order, of rows named `t`. */
      order: (t: string) => string;
      /** The sort key's column (besides the id), when the order has one. */
      key?: string;
      size: number;
      columns: string;
      match: string[];
      matchParams: unknown[];
      ownCategories?: boolean;
    },
  ): void => {
    const matches = `join categories c on c.id = p.category_id ${whereSql([...w.match, ...outsideFilters])}`;
    const tail = [...w.matchParams, ...outsideParams, limit];
    const catalogWindow = (conds: string[]) =>
      `select ${w.columns} from (select * from products p ${whereSql(conds)} order by ${w.order('p')} limit ${w.size}) p
        ${matches} order by ${w.order('p')} limit ?`;
    if (w.ownCategories === false) {
      ctes.push(`${name} as materialized (${catalogWindow(w.conds)})`);
      params.push(...w.condParams, ...tail);
      return;
    }
    const conds = [dense, ...w.conds];
    const condParams = [...denseParams, ...w.condParams];
    // Each category's window is read from its (category_id, key, id) index alone (an index-only
    // scan): cheaper than anything else, so the planner takes it rather than the catalog's order
    // filtered for the category, which reads every older row first when the category's products
    // are all new. Together, the windows hold every match up to the first end of a window that
    // stopped before its category did (`…_end`); those rows are fetched one by one by id, in order
    // (a lateral lookup the planner cannot turn into reading every match of the words), until a
    // page is found.
    const columns = `p.id${w.key ? `, p.${w.key}` : ''}`;
    const key = (t: string) => `${w.key ? `${t}.${w.key}, ` : ''}${t}.id`;
    const upTo = w.order('w').includes(' desc') ? '>=' : '<=';
    const categories = input.category ? `array[${CATEGORY_BY_SLUG}]` : FEW_CATEGORIES;
    // A window as long as twice a page's worth of the words' matches there (by their counts), so
    // a common word reads a few hundred rows, not `size`.
    ctes.push(`${name}_rows as materialized (select w.* from (
          select c.id, greatest(${MIN_CATEGORY_WINDOW}, least(${w.size}, ceil(2.0 * ${limit} * c.product_count / greatest(s.matches, 1))))::int as size
          from unnest(${categories}) as u(id) join categories c on c.id = u.id left join search_categories s on s.category_id = u.id) cat
        cross join lateral (select ${columns}, row_number() over (order by ${w.order('p')}) as n, cat.size from products p
          ${whereSql([...conds, 'p.category_id = cat.id'])} order by ${w.order('p')} limit cat.size) w)`);
    params.push(...(input.category ? [input.category] : []), ...condParams);
    ctes.push(`${name}_end as materialized (select * from ${name}_rows w where w.n = w.size order by ${w.order('w')} limit 1)`);
    const categoryWindow = `select ${w.columns} from (select * from ${name}_rows w
          where not exists (select 1 from ${name}_end) or (${key('w')}) ${upTo} (select ${key('e')} from ${name}_end e)
          order by ${w.order('w')}) w
        cross join lateral (select * from products p where p.id = w.id offset 0) p
        ${matches} order by ${w.order('w')} limit ?`;
    if (input.category) {
      ctes.push(`${name} as materialized (${categoryWindow})`);
      params.push(...tail);
      return;
    }
    ctes.push(`${name} as materialized ((${categoryWindow}) union all (${catalogWindow([`${FEW_CATEGORIES} is null`, ...conds])}))`);
    params.push(...tail, ...condParams, ...tail);
  };

  if (terms && sort === 'relevance') {
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
      const gateParams = before.length ? [limit] : [];
      // Three words or more are seldom together in one name of 64 (their densities multiply): their
      // name tier goes to the index without reading a window that would not fill.
      const [readIf, readIfParams] =
        tier === 1 && words.length > MAX_WINDOW_WORDS ? ['false', []] : windowIf ? windowIf(terms) : [null, []];
      // Dense matches (a common word, in names for tier 1, in descriptions for tier 2, a common
      // correction for tier 3) are met within the first rows in id order: read a bounded window of
      // them. Fewer than a page there: the index (for tier 1, the name words as exact lexemes), its
      // matches sorted by id.
      // (A correction, tier 3, may be a word of any category.)
      windowMatches(`d${tier}`, {
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
      ctes.push(`t${tier} as materialized (select * from d${tier} where (select count(*) from d${tier}) >= ?
        union all (select ${PRODUCT_SUMMARY_COLUMNS}, ${tier} as k ${FROM}
        ${whereSql([`(select count(*) from d${tier}) < ?`, ...gate, sparseMatch, ...filters, ...after])} order by ${MATCHES_FIRST} limit ?))`);
      params.push(limit, limit, ...gateParams, ...sparseParams, ...filterParams, ...afterParams, limit);
      before.push(`t${tier}`);
    }
    params.push(limit);
    const query = `with ${ctes.join(',\n')}
      select s.*, s.k::text as sort_key from (${before.map((t) => `select * from ${t}`).join(' union all ')}) s order by s.k, s.id limit ?`;
    return { query, params, sort };
  }

  // Relevance without a search has nothing to rank by: newest first, under its own cursor.
  const spec = SORTS[sort === 'relevance' ? 'newest' : sort];
  const after = cursor ? [spec.after(spec.key, 'p.id')] : [];
  const cursorParams = cursor ? [cursor.key, cursor.id] : [];
  if (!terms) {
    params.push(...filterParams, ...cursorParams, limit);
    const query = `select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.keyText(spec.key)} as sort_key ${FROM}
      ${whereSql([...filters, ...after])}
      order by ${spec.orderBy(spec.key, 'p.id')}
      limit ?`;
    return { query, params, sort };
  }
  // A search under another sort: the full-text matches and the typo corrections. A common word's
  // page is met within the first rows in the sort's order: a bounded window of them is read through
  // the sort's index. Fewer than a page there (a rare or absent word, for which walking the sort's
  // index read the whole table, ~7 s at a million products): the matches are found through the
  // search index and sorted, the key written so no index offers its order (`+ 0` and the like).
  const key = UNINDEXED_KEYS[sort === 'relevance' ? 'newest' : sort];
  const unindexedAfter = cursor ? [spec.after(key, 'p.id')] : [];
  const fullText = `p.search @@ to_tsquery('english', ?)`;
  windowMatches('w', {
    conds: after,
    condParams: cursorParams,
    order: (t) => spec.orderBy(`${t}.${spec.column}`, `${t}.id`),
    key: spec.column,
    size: DENSE_WINDOW,
    columns: `${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k`,
    match: [fullText],
    matchParams: [terms.all],
  });
  ctes.push(
    `m as materialized (select * from w where (select count(*) from w) >= ?
      union all (select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k ${FROM}
      ${whereSql(['(select count(*) from w) < ?', fullText, ...filters, ...unindexedAfter])} order by ${spec.orderBy(key, 'p.id + 0')} limit ?))`,
    // Corrections of a misspelt word, only when the words have one at all (else it never starts).
    `t as materialized (select ${PRODUCT_SUMMARY_COLUMNS}, ${spec.key} as k ${FROM}
      ${whereSql([`(select numnode(catalog_typo_query(?))) > 0`, TIERS[2]?.match ?? 'false', ...filters, ...unindexedAfter])}
      order by ${spec.orderBy(key, 'p.id + 0')} limit ?)`,
  );
  params.push(limit, limit, terms.all, ...filterParams, ...cursorParams, limit);
  params.push(terms.words, ...(TIERS[2]?.params(terms) ?? []), ...filterParams, ...cursorParams, limit);
  params.push(limit);
  const query = `with ${ctes.join(',\n')}
    select s.*, ${spec.keyText('s.k')} as sort_key from (select * from m union all select * from t) s
    order by ${spec.orderBy('s.k', 's.id')} limit ?`;
  return { query, params, sort };
}

/**
 * One page of products, keyset-paginated on (sort key, id): stable and fast at any depth, and
 * never skipping or repeating a row, even when sort keys tie.
 */
export function listProducts(ctx: ServiceContext, input: CatalogListInput): Promise<Page<ProductSummary>> {
  // The input is parsed (only known keys, in the schema's order): its JSON is a stable key.
  return ctx.catalogCache.read(`list:${JSON.stringify(input)}`, () => loadPage(ctx, input));
}

async function loadPage(ctx: ServiceContext, input: CatalogListInput): Promise<Page<ProductSummary>> {
  const { query, params, sort } = catalogListQuery(input);
  return catalogPage(await sql<CatalogListRow>(ctx.em, query, params), input.limit, sort);
}

/** The page a catalogListQuery's rows make (it reads one row more than the page): pure, for the floor too. */
export function catalogPage(rows: CatalogListRow[], limit: number, sort: CatalogSort): Page<ProductSummary> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return {
    items: items.map(toSummary),
    nextCursor: more && last ? encodeCursor({ sort, key: last.sort_key, id: last.id }) : null,
  };
}

export async function getProduct(ctx: ServiceContext, slug: string): Promise<Product> {
  // A missing product is not kept: a product created a moment later is found at once.
  const product = await ctx.catalogCache.read(`product:${slug}`, async () => {
    const found = await findProduct(ctx.em, { slug });
    if (!found) throw notFound('product');
    return found;
  });
  return product;
}
