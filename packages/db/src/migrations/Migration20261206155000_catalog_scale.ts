import { Migration } from '@mikro-orm/migrations';

/**
 * Catalog reads that stay bounded at a million products (issue 15):
 * - `categories.product_count`, kept by triggers on products, so listing categories counts nothing;
 * - `products.name_search` (the name's words) and `products.extra_search` (description words not in
 *   the name), so "every word in the name" and "some word only in the description" are each one
 *   index lookup whose selectivity the planner knows (relevance tiers, see catalog.service.ts);
 * - `search_words`, the distinct words of product names, where a misspelt word finds its
 *   correction: a typo is looked up among words (hundreds), not compared with every product name;
 * - the trigram index on product names goes: nothing compares a name by similarity any more.
 */
export class Migration20261206155000_catalog_scale extends Migration {
  override name = 'Migration20261206155000_catalog_scale';

  override up(): void | Promise<void> {
    this.addSql(`alter table "categories" add "product_count" int not null default 0;`);
    this.addSql(`alter table "categories" add constraint "categories_product_count_check" check (product_count >= 0);`);
    this.addSql(`update categories c set product_count = (select count(*) from products p where p.category_id = c.id);`);

    this.addSql(`alter table "products"
      add "name_search" tsvector generated always as (to_tsvector('english', coalesce(name, ''))) stored null,
      add "extra_search" tsvector generated always as (ts_delete(to_tsvector('english', coalesce(description, '')), tsvector_to_array(to_tsvector('english', coalesce(name, ''))))) stored null;`);
    this.addSql(`create index "products_name_search_idx" on "products" using gin ("name_search");`);
    this.addSql(`create index "products_extra_search_idx" on "products" using gin ("extra_search");`);
    this.addSql(`drop index if exists "products_name_trgm_idx";`);
    // Names have few distinct words: with the default sample a rare one ("heirloom", 1 in 20,000)
    // is not tracked, and the planner guesses it as common as half the rarest tracked word.
    this.addSql(`alter table "products" alter column "name_search" set statistics 1000;`);

    this.addSql(`create table "search_words" ("word" text not null, "lexeme" text collate "C" not null, primary key ("word"));`);
    this.addSql(`create index "search_words_word_trgm_idx" on "search_words" using gin ("word" gin_trgm_ops);`);
    this.addSql(`create index "search_words_lexeme_idx" on "search_words" ("lexeme");`);

    // The words of product names, with the stem full-text search matches them by. Never removed:
    // a word no product has any more only costs a correction that finds nothing.
    this.addSql(`create function search_words_add(names text[]) returns void language sql as $$
      insert into search_words (word, lexeme)
      select w, (ts_lexize('english_stem', w))[1]
      from (select distinct unnest(tsvector_to_array(to_tsvector('simple', n))) as w from unnest(names) n) s
      where w ~ '^[[:alnum:]]+$' and (ts_lexize('english_stem', w))[1] is not null
      on conflict do nothing
    $$;`);
    this.addSql(`select search_words_add(array(select distinct name from products));`);

    // Counts move in the same statement as the rows, under the category rows' locks, taken in id
    // order so two concurrent moves between the same categories cannot deadlock.
    this.addSql(`create function categories_count_add(deltas jsonb) returns void language plpgsql as $$
      begin
        perform 1 from categories where id in (select key::int from jsonb_each_text(deltas)) order by id for update;
        update categories c set product_count = c.product_count + d.value::int
        from jsonb_each_text(deltas) d where c.id = d.key::int;
      end $$;`);
    this.addSql(`create function products_inserted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, n) from (select category_id, count(*) n from new_rows group by category_id) s));
        perform search_words_add(array(select distinct name from new_rows));
        return null;
      end $$;`);
    this.addSql(`create function products_deleted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, -n) from (select category_id, count(*) n from old_rows group by category_id) s));
        return null;
      end $$;`);
    this.addSql(`create function products_updated() returns trigger language plpgsql as $$
      begin
        if old.category_id is distinct from new.category_id then
          perform categories_count_add(jsonb_build_object(old.category_id, -1, new.category_id, 1));
        end if;
        if old.name is distinct from new.name then
          perform search_words_add(array[new.name]);
        end if;
        return null;
      end $$;`);
    this.addSql(`create function products_truncated() returns trigger language plpgsql as $$
      begin
        update categories set product_count = 0 where product_count <> 0;
        return null;
      end $$;`);
    // Inserts and deletes per statement (a seed's COPY is one call, not a million); updates per row,
    // and only of the two columns, so stock changes at checkout never run them.
    this.addSql(`create trigger products_inserted after insert on products referencing new table as new_rows for each statement execute function products_inserted();`);
    this.addSql(`create trigger products_deleted after delete on products referencing old table as old_rows for each statement execute function products_deleted();`);
    this.addSql(`create trigger products_updated after update of category_id, name on products for each row
      when (old.category_id is distinct from new.category_id or old.name is distinct from new.name) execute function products_updated();`);
    this.addSql(`create trigger products_truncated after truncate on products for each statement execute function products_truncated();`);

    // The typo-tolerant query for a search's words: each word that starts no known word (after
    // stemming, as full-text search would match it) may also be one of its three closest words by
    // trigram word similarity (pg_trgm.word_similarity_threshold); at least one correction must
    // occur. No correction: an empty query, which matches nothing. STABLE, so the planner
    // evaluates it while planning and estimates the match like any constant query.
    this.addSql(`create function catalog_typo_query(words text) returns tsquery language sql stable as $$
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

  override down(): void | Promise<void> {
    this.addSql(`drop function catalog_typo_query(text);`);
    this.addSql(`drop trigger products_inserted on products; drop trigger products_deleted on products;`);
    this.addSql(`drop trigger products_updated on products; drop trigger products_truncated on products;`);
    this.addSql(`drop function products_inserted(); drop function products_deleted(); drop function products_updated(); drop function products_truncated();`);
    this.addSql(`drop function categories_count_add(jsonb); drop function search_words_add(text[]);`);
    this.addSql(`drop table "search_words";`);
    this.addSql(`create index "products_name_trgm_idx" on "products" using gin ("name" gin_trgm_ops);`);
    this.addSql(`alter table "products" drop column "name_search", drop column "extra_search";`);
    this.addSql(`alter table "categories" drop constraint "categories_product_count_check", drop column "product_count";`);
  }
}
