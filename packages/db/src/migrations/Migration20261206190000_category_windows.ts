import { Migration } from '@mikro-orm/migrations';

/**
 * A search's words are mostly nouns of one category (teapot, lamp): dense among that category's
 * products (one in ten), sparse in the catalog (one in a hundred, past the windows' reach, and
 * thousands of matches for the index to read). A search looks for its first page in its categories'
 * own rows instead, when its words occur in a few only:
 * - `search_term_categories`: how many products of each category hold each search word (a lexeme
 *   of their names and descriptions), kept by the products triggers in the statement that changes
 *   them (insert, delete, update of name, description or category): a missing count would hide
 *   matches. A search also learns from it how many matches it has at most: a rare word's are read
 *   through the index at once, without a window that would find none of them;
 * - (category_id, id), which reads a category's rows in id order (relevance's order).
 */
export class Migration20261206190000_category_windows extends Migration {
  override name = 'Migration20261206190000_category_windows';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "products_category_id_idx" on "products" ("category_id", "id");`);
    this.addSql(`create table "search_term_categories" ("lexeme" text collate "C" not null, "category_id" int not null,
      "products" int not null default 0, primary key ("lexeme", "category_id"));`);
    this.addSql(`alter table "search_term_categories" add constraint "search_term_categories_products_check" check (products >= 0);`);
    this.addSql(`alter table "search_term_categories" add constraint "search_term_categories_category_id_foreign"
      foreign key ("category_id") references "categories" ("id") on delete cascade;`);
    // Counts move in the statement that moves the products. Each call locks its pairs' rows in key
    // order, so two statements changing overlapping pairs wait for each other rather than deadlock;
    // a transaction of several statements (or an update of several rows, one call per row) can still
    // meet another in the opposite order, and PostgreSQL then aborts one of them (staff edit one
    // product at a time). A count goes down by an update: an insert's row, checked before its
    // conflict is found, would hold a negative count.
    this.addSql(`create function search_term_categories_add(lexemes text[], categories int[], deltas int[]) returns void language plpgsql as $$
      begin
        perform 1 from search_term_categories t join unnest(lexemes, categories) d(l, c) on t.lexeme = d.l and t.category_id = d.c
        order by t.lexeme, t.category_id for no key update of t;
        update search_term_categories t set products = t.products + d.n
        from unnest(lexemes, categories, deltas) d(l, c, n) where t.lexeme = d.l and t.category_id = d.c and d.n < 0;
        insert into search_term_categories as t (lexeme, category_id, products)
        select l, c, n from unnest(lexemes, categories, deltas) d(l, c, n) where n > 0 order by 1, 2
        on conflict (lexeme, category_id) do update set products = t.products + excluded.products;
      end $$;`);
    // Counted under the create index's share lock, held to the end of the migration's transaction:
    // no product changes between this count and the triggers below.
    this.addSql(`insert into search_term_categories (lexeme, category_id, products)
      select l, category_id, count(*) from products, unnest(tsvector_to_array(search)) l group by 1, 2;`);
    this.addSql(`create or replace function products_inserted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, n) from (select category_id, count(*) n from new_rows group by category_id) s));
        perform search_words_add(array(select distinct name from new_rows));
        perform search_term_categories_add(array_agg(l), array_agg(c), array_agg(n))
        from (select l, r.category_id c, count(*)::int n from new_rows r, unnest(tsvector_to_array(r.search)) l group by 1, 2) s;
        return null;
      end $$;`);
    this.addSql(`create or replace function products_deleted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, -n) from (select category_id, count(*) n from old_rows group by category_id) s));
        perform search_term_categories_add(array_agg(l), array_agg(c), array_agg(n))
        from (select l, r.category_id c, -count(*)::int n from old_rows r, unnest(tsvector_to_array(r.search)) l group by 1, 2) s;
        return null;
      end $$;`);
    this.addSql(`create or replace function products_updated() returns trigger language plpgsql as $$
      begin
        if old.category_id is distinct from new.category_id then
          perform categories_count_add(jsonb_build_object(old.category_id, -1, new.category_id, 1));
        end if;
        if old.name is distinct from new.name then
          perform search_words_add(array[new.name]);
        end if;
        perform search_term_categories_add(array_agg(l), array_agg(c), array_agg(n))
        from (select l, c, sum(n)::int n from (
            select l, old.category_id c, -1 n from unnest(tsvector_to_array(old.search)) l
            union all select l, new.category_id, 1 from unnest(tsvector_to_array(new.search)) l) d
          group by 1, 2 having sum(n) <> 0) s;
        return null;
      end $$;`);
    this.addSql(`create or replace function products_truncated() returns trigger language plpgsql as $$
      begin
        update categories set product_count = 0 where product_count <> 0;
        delete from search_term_categories;
        return null;
      end $$;`);
    this.addSql(`drop trigger products_updated on products;`);
    this.addSql(`create trigger products_updated after update of category_id, name, description on products for each row
      when (old.category_id is distinct from new.category_id or old.name is distinct from new.name
        or old.description is distinct from new.description) execute function products_updated();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger products_updated on products;`);
    this.addSql(`create trigger products_updated after update of category_id, name on products for each row
      when (old.category_id is distinct from new.category_id or old.name is distinct from new.name) execute function products_updated();`);
    this.addSql(`create or replace function products_updated() returns trigger language plpgsql as $$
      begin
        if old.category_id is distinct from new.category_id then
          perform categories_count_add(jsonb_build_object(old.category_id, -1, new.category_id, 1));
        end if;
        if old.name is distinct from new.name then
          perform search_words_add(array[new.name]);
        end if;
        return null;
      end $$;`);
    this.addSql(`create or replace function products_inserted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, n) from (select category_id, count(*) n from new_rows group by category_id) s));
        perform search_words_add(array(select distinct name from new_rows));
        return null;
      end $$;`);
    this.addSql(`create or replace function products_deleted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, -n) from (select category_id, count(*) n from old_rows group by category_id) s));
        return null;
      end $$;`);
    this.addSql(`create or replace function products_truncated() returns trigger language plpgsql as $$
      begin
        update categories set product_count = 0 where product_count <> 0;
        return null;
      end $$;`);
    this.addSql(`drop function search_term_categories_add(text[], int[], int[]);`);
    this.addSql(`drop table "search_term_categories";`)
    this.addSql(`drop index if exists "products_category_id_idx";`);
  }
}
