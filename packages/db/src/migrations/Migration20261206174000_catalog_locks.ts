import { Migration } from '@mikro-orm/migrations';

/**
 * Concurrent product inserts into one category deadlocked: each insert's foreign-key check holds
 * FOR KEY SHARE on the category row, and the count trigger then asked for FOR UPDATE, which
 * conflicts with it (two inserts each waited on the other's share lock). The count only changes a
 * non-key column, for which FOR NO KEY UPDATE is enough and does not conflict with key-share locks.
 * New name words are inserted in word order, so two transactions adding overlapping words take
 * their index locks in the same order.
 */
export class Migration20261206174000_catalog_locks extends Migration {
  override name = 'Migration20261206174000_catalog_locks';

  override up(): void | Promise<void> {
    this.addSql(`create or replace function categories_count_add(deltas jsonb) returns void language plpgsql as $$
      begin
        perform 1 from categories where id in (select key::int from jsonb_each_text(deltas)) order by id for no key update;
        update categories c set product_count = c.product_count + d.value::int
        from jsonb_each_text(deltas) d where c.id = d.key::int;
      end $$;`);
    this.addSql(`create or replace function search_words_add(names text[]) returns void language sql as $$
      insert into search_words (word, lexeme)
      select w, (ts_lexize('english_stem', w))[1]
      from (select distinct unnest(tsvector_to_array(to_tsvector('simple', n))) as w from unnest(names) n) s
      where w ~ '^[[:alnum:]]+$' and (ts_lexize('english_stem', w))[1] is not null
      order by w
      on conflict do nothing
    $$;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`create or replace function categories_count_add(deltas jsonb) returns void language plpgsql as $$
      begin
        perform 1 from categories where id in (select key::int from jsonb_each_text(deltas)) order by id for update;
        update categories c set product_count = c.product_count + d.value::int
        from jsonb_each_text(deltas) d where c.id = d.key::int;
      end $$;`);
    this.addSql(`create or replace function search_words_add(names text[]) returns void language sql as $$
      insert into search_words (word, lexeme)
      select w, (ts_lexize('english_stem', w))[1]
      from (select distinct unnest(tsvector_to_array(to_tsvector('simple', n))) as w from unnest(names) n) s
      where w ~ '^[[:alnum:]]+$' and (ts_lexize('english_stem', w))[1] is not null
      on conflict do nothing
    $$;`);
  }
}
