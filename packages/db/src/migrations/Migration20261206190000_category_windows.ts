import { Migration } from '@mikro-orm/migrations';

/**
 * A search's words are mostly nouns of one category (teapot, lamp): dense among that category's
 * products (one in ten), sparse in the catalog (one in a hundred, past the windows' reach, and
 * thousands of matches for the index to read). A search looks for its first page in the category's
 * own rows instead, when it is the only one its words occur in:
 * - `search_term_categories`, the (lexeme, category) pairs of products' search words, kept by the
 *   products triggers. Never removed (like `search_words`): a stale pair only sends a search to a
 *   window that finds less; a missing one would hide matches, so every write that can add one
 *   (insert; update of name, description or category) adds it in the same statement;
 * - (category_id, id), which reads a category's rows in id order (relevance's order).
 */
export class Migration20261206190000_category_windows extends Migration {
  override name = 'Migration20261206190000_category_windows';

  override up(): void | Promise<void> {
    this.addSql(`create index if not exists "products_category_id_idx" on "products" ("category_id", "id");`);
    this.addSql(`create table "search_term_categories" ("lexeme" text collate "C" not null, "category_id" int not null,
      primary key ("lexeme", "category_id"));`);
    this.addSql(`alter table "search_term_categories" add constraint "search_term_categories_category_id_foreign"
      foreign key ("category_id") references "categories" ("id") on delete cascade;`);
    this.addSql(`insert into search_term_categories (lexeme, category_id)
      select distinct unnest(tsvector_to_array(search)), category_id from products on conflict do nothing;`);
    this.addSql(`create or replace function products_inserted() returns trigger language plpgsql as $$
      begin
        perform categories_count_add((select jsonb_object_agg(category_id, n) from (select category_id, count(*) n from new_rows group by category_id) s));
        perform search_words_add(array(select distinct name from new_rows));
        -- In key order, so two transactions adding overlapping pairs take their index locks in one order.
        insert into search_term_categories (lexeme, category_id)
        select distinct l, r.category_id from new_rows r, unnest(tsvector_to_array(r.search)) l order by 1, 2
        on conflict do nothing;
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
        insert into search_term_categories (lexeme, category_id)
        select l, new.category_id from unnest(tsvector_to_array(new.search)) l order by 1
        on conflict do nothing;
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
    this.addSql(`drop table "search_term_categories";`);
    this.addSql(`drop index if exists "products_category_id_idx";`);
  }
}
