import { Migration } from '@mikro-orm/migrations';

/**
 * A word with digits (2ply, a5s) is one of the parser's numwords, which to_tsvector('english')
 * leaves unstemmed: a name holds '2ply'. The words of names (`search_words.lexeme`) and the search's
 * own words were stemmed by english_stem alone ('2pli'), so the name tier asked the index for a
 * lexeme no name holds and a relevance search for "2ply" found nothing. Every stem is now taken as
 * to_tsvector takes it (for an ordinary word, english_stem's as before).
 */
export class Migration20261206193000_numword_lexemes extends Migration {
  override name = 'Migration20261206193000_numword_lexemes';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function search_words_add(names text[]) returns void language sql as $$
      insert into search_words (word, lexeme)
      select w, (tsvector_to_array(to_tsvector('english', w)))[1]
      from (select distinct unnest(tsvector_to_array(to_tsvector('simple', n))) as w from unnest(names) n) s
      where w ~ '^[[:alnum:]]+$' and (tsvector_to_array(to_tsvector('english', w)))[1] is not null
      order by w
      on conflict do nothing
    $$;`);
    this.addSql(`update search_words set lexeme = (tsvector_to_array(to_tsvector('english', word)))[1]
      where (tsvector_to_array(to_tsvector('english', word)))[1] is distinct from lexeme
        and (tsvector_to_array(to_tsvector('english', word)))[1] is not null;`);
    this.addSql(`create or replace function catalog_name_query(words text) returns tsquery language plpgsql stable as $$
    begin
      -- PL/pgSQL: its plan is kept for the session (an SQL function's is made again per statement, ~1 ms).
      return (select string_agg(coalesce(
          (select '(' || string_agg(quote_literal(d.lexeme), ' | ' order by d.lexeme) || ')'
           from (select distinct k.lexeme from search_words k where k.lexeme >= w.stem and k.lexeme < w.stem || chr(1114111)) d),
          quote_literal(w.stem) || ':*'), ' & ' order by w.n)::tsquery
      from (
        select t.n, (tsvector_to_array(to_tsvector('english', t.word)))[1] as stem
        from unnest(string_to_array(words, ' ')) with ordinality as t(word, n)
        where t.word ~ '^[[:alnum:]]+$'
      ) w
      where w.stem is not null);
    end $$;`);
    this.addSql(`create or replace function catalog_typo_query(words text) returns tsquery language sql stable as $$
      with w as (
        select t.word, t.n, (tsvector_to_array(to_tsvector('english', t.word)))[1] as stem
        from unnest(string_to_array(words, ' ')) with ordinality as t(word, n)
        where t.word ~ '^[[:alnum:]]+$'
      ), fix as (
        select w.n, a.word
        from w cross join lateral (
          select d.word from search_words d
          where w.word <% d.word
          order by w.word <<-> d.word, d.word limit 3
        ) a
        where w.stem is not null
          and not exists (select 1 from search_words k where k.lexeme >= w.stem and k.lexeme < w.stem || chr(1114111))
      )
      select case when exists (select 1 from fix) then to_tsquery('english',
        (select string_agg('(' || quote_literal(w.word) || ':*'
                || coalesce((select string_agg(' | ' || quote_literal(f.word), '' order by f.word) from fix f where f.n = w.n), '')
                || ')', ' & ' order by w.n) from w)
        || ' & (' || (select string_agg(quote_literal(f.word), ' | ' order by f.word) from fix f) || ')')
      else ''::tsquery end
    $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function search_words_add(names text[]) returns void language sql as $$
      insert into search_words (word, lexeme)
      select w, (ts_lexize('english_stem', w))[1]
      from (select distinct unnest(tsvector_to_array(to_tsvector('simple', n))) as w from unnest(names) n) s
      where w ~ '^[[:alnum:]]+$' and (ts_lexize('english_stem', w))[1] is not null
      order by w
      on conflict do nothing
    $$;`);
    this.addSql(`update search_words set lexeme = (ts_lexize('english_stem', word))[1];`);
    this.addSql(`create or replace function catalog_name_query(words text) returns tsquery language plpgsql stable as $$
    begin
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
    this.addSql(`create or replace function catalog_typo_query(words text) returns tsquery language sql stable as $$
      with w as (
        select t.word, t.n, (ts_lexize('english_stem', t.word))[1] as stem
        from unnest(string_to_array(words, ' ')) with ordinality as t(word, n)
        where t.word ~ '^[[:alnum:]]+$'
      ), fix as (
        select w.n, a.word
        from w cross join lateral (
          select d.word from search_words d
          where w.word <% d.word
          order by w.word <<-> d.word, d.word limit 3
        ) a
        where w.stem is not null
          and not exists (select 1 from search_words k where k.lexeme >= w.stem and k.lexeme < w.stem || chr(1114111))
      )
      select case when exists (select 1 from fix) then to_tsquery('english',
        (select string_agg('(' || quote_literal(w.word) || ':*'
                || coalesce((select string_agg(' | ' || quote_literal(f.word), '' order by f.word) from fix f where f.n = w.n), '')
                || ')', ' & ' order by w.n) from w)
        || ' & (' || (select string_agg(quote_literal(f.word), ' | ' order by f.word) from fix f) || ')')
      else ''::tsquery end
    $$;`);
  }
}
