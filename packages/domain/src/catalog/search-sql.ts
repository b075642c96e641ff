// The SQL pieces of a catalog search: its words, its relevance tiers, the windows its first pages
// are looked for in, and the categories its words occur in. list-query.ts puts them together.

/** The words of a search, lower-cased: at most eight, letters and digits only (nothing else reaches SQL). */
export function searchWords(search: string): string[] {
  return (
    search
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, 8) ?? []
  );
}

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
export const MATCHES_FIRST = 'p.id + 0';

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
export const MIN_CATEGORY_WINDOW = 200;
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
export const FEW_CATEGORIES = `(select case when count(*) <= ${MAX_SEARCH_CATEGORIES} then coalesce(array_agg(category_id), '{}') end from search_categories)`;
export const CATEGORY_BY_SLUG = '(select id from categories where slug = ?)';
/** Words of a search beyond which its name tier reads no window. */
export const MAX_WINDOW_WORDS = 2;
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
  from (select (tsvector_to_array(to_tsvector('english', t)))[1] as stem from unnest(string_to_array(?, ' ')) t) w where w.stem is not null)`;

export interface Tier {
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

export const TIERS: Tier[] = [
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

export interface SearchTerms {
  /** Every word as a prefix: oak:* & tab:* */
  all: string;
  /** Any word as a prefix: oak:* | tab:* */
  any: string;
  /** The words, space-separated, for catalog_typo_query. */
  words: string;
}

/** A search's words as the terms its SQL takes ("oak tab" → oak:* & tab:*; nothing else reaches to_tsquery), or null for none. */
export function searchTerms(words: string[]): SearchTerms | null {
  return words.length
    ? { all: words.map((w) => `${w}:*`).join(' & '), any: words.map((w) => `${w}:*`).join(' | '), words: words.join(' ') }
    : null;
}

export const whereSql = (conditions: string[]) => (conditions.length ? `where ${conditions.join(' and ')}` : '');
