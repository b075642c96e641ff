import { Migration } from '@mikro-orm/migrations';

/**
 * A search word as a prefix (`walnut:*`) makes GIN collect every product of every indexed word with
 * that prefix into a bitmap before it can intersect them: "walnut desk lamp" read ~100,000 postings
 * per word at a million products (~38 ms), to find 563. The same words as exact lexemes are
 * intersected by GIN's fast scan, which skips through the longer posting lists (~2.5 ms).
 *
 * `catalog_name_query` expands each word's prefix into the name lexemes that start with it, read from
 * `search_words` (every word of every product name, with its stem): "tea" → ('teak' | 'teapot'). A
 * word that starts no known name word keeps its prefix term (an empty prefix range, cheap), so the
 * match is the prefix query's over product names. Only names: descriptions' words are not listed.
 * (A name lexeme that is no single alphanumeric word, e.g. '1.5', is not listed: a prefix of it no longer finds it.)
 */
export class Migration20261206170000_catalog_name_query extends Migration {
  override name = 'Migration20261206170000_catalog_name_query';

  override up(): void | Promise<void> {
    this.addSql(`create function catalog_name_query(words text) returns tsquery language plpgsql stable as $$
    begin
      -- PL/pgSQL: its plan is kept for the session (an SQL function's is made again per statement, ~1 ms).
      return (select string_agg(coalesce(
          (select '(' || string_agg(quote_literal(d.lexeme), ' | ' order by d.lexeme) || ')'
           from (select distinct k.lexeme from search_words k where k.lexeme >= w.stem and k.lexeme < w.stem || chr(1114111)) d),
          quote_literal(w.stem) || ':*'), ' & ' order by w.n)::tsquery
      from (
        select t.n, (ts_lexize('english_stem', t.word))[1] as stem
        from unnest(string_to_array(words, ' ')) with ordinality as t(word, n)
        where t.word ~ '^[[:alnum:]]+$'
      ) w
      where w.stem is not null);
    end $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop function catalog_name_query(text);`);
  }
}
