import type { CatalogListInput } from '@shop/schemas';
import { CATEGORY_BY_SLUG, FEW_CATEGORIES, MIN_CATEGORY_WINDOW, whereSql } from './search-sql.ts';

/** A catalog statement being built: what it reads, and its CTEs and parameters so far (in text order). */
export interface ListStatement {
  input: CatalogListInput;
  /** A page and one row. */
  limit: number;
  /** The input's filters (category, price, stock), their parameters in text order. */
  filters: string[];
  filterParams: unknown[];
  /** The same less the category: a window of the asked category's rows is in it already. */
  outsideFilters: string[];
  outsideParams: unknown[];
  /** Whether the search has more matches than its index should read at once (and its parameters). */
  dense: string;
  denseParams: unknown[];
  ctes: string[];
  params: unknown[];
}

export interface Window {
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
  /**
   * False: the catalog's rows, not the categories the words occur in (a correction may be a word
   * of any), filtered afterwards for the category asked for like any other filter.
   */
  ownCategories?: boolean;
}

/**
 * A window's matches, as the CTE `name` (with `columns`, at most a page and one): the first `size`
 * rows in `order` meeting `conds`, from each of the search's categories (asked for, or those its
 * words occur in), else from the whole catalog; then those meeting `match`.
 */
export function windowMatches(s: ListStatement, name: string, w: Window): void {
  const matches = (filters: string[]) => `join categories c on c.id = p.category_id ${whereSql([...w.match, ...filters])}`;
  const tail = [...w.matchParams, ...s.outsideParams, s.limit];
  const catalogWindow = (conds: string[], filters = s.outsideFilters) =>
    `select ${w.columns} from (select * from products p ${whereSql(conds)} order by ${w.order('p')} limit ${w.size}) p
      ${matches(filters)} order by ${w.order('p')} limit ?`;
  if (w.ownCategories === false) {
    s.ctes.push(`${name} as materialized (${catalogWindow(w.conds, s.filters)})`);
    s.params.push(...w.condParams, ...w.matchParams, ...s.filterParams, s.limit);
    return;
  }
  const conds = [s.dense, ...w.conds];
  const condParams = [...s.denseParams, ...w.condParams];
  // Each category's window is read from its (category_id, key, id) index alone (an index-only
  // scan): cheaper than anything else, so the planner takes it rather than the catalog's order
  // filtered for the category, which reads every older row first when the category's products
  // are all new. Together, the windows hold every match up to the first end of a window that
  // stopped before its category did (`…_end`); those rows are fetched one by one by id, in the
  // window's order (a lateral lookup the planner cannot turn into reading every match of the
  // words), and the plan stops at a page (at worst it reads the windows' rows, 6,400).
  const columns = `p.id${w.key ? `, p.${w.key}` : ''}`;
  const key = (t: string) => `${w.key ? `${t}.${w.key}, ` : ''}${t}.id`;
  const upTo = w.order('w').includes(' desc') ? '>=' : '<=';
  const categories = s.input.category ? `array[${CATEGORY_BY_SLUG}]` : FEW_CATEGORIES;
  // A window as long as twice a page's worth of the words' matches there (by their counts), so
  // a common word reads a few hundred rows, not `size`.
  s.ctes.push(`${name}_rows as materialized (select w.* from (
        select c.id, greatest(${MIN_CATEGORY_WINDOW}, least(${w.size}, ceil(2.0 * ${s.limit} * c.product_count / greatest(s.matches, 1))))::int as size
        from unnest(${categories}) as u(id) join categories c on c.id = u.id left join search_categories s on s.category_id = u.id) cat
      cross join lateral (select ${columns}, row_number() over (order by ${w.order('p')}) as n, cat.size from products p
        ${whereSql([...conds, 'p.category_id = cat.id'])} order by ${w.order('p')} limit cat.size) w)`);
  s.params.push(...(s.input.category ? [s.input.category] : []), ...condParams);
  s.ctes.push(`${name}_end as materialized (select * from ${name}_rows w where w.n = w.size order by ${w.order('w')} limit 1)`);
  const categoryWindow = `select ${w.columns} from (select * from ${name}_rows w
        where not exists (select 1 from ${name}_end) or (${key('w')}) ${upTo} (select ${key('e')} from ${name}_end e)
        order by ${w.order('w')}) w
      cross join lateral (select * from products p where p.id = w.id offset 0) p
      ${matches(s.outsideFilters)} order by ${w.order('w')} limit ?`;
  if (s.input.category) {
    s.ctes.push(`${name} as materialized (${categoryWindow})`);
    s.params.push(...tail);
    return;
  }
  s.ctes.push(`${name} as materialized ((${categoryWindow}) union all (${catalogWindow([`${FEW_CATEGORIES} is null`, ...conds])}))`);
  s.params.push(...tail, ...condParams, ...tail);
}
