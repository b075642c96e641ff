import { Migration } from '@mikro-orm/migrations';

/**
 * Product variants (issue 19): a product sells in one or more variants, each with its own SKU,
 * price and stock; options (Size: S, M, L) name what tells them apart.
 * - Every existing product gets one variant, `options: {}`, with its price and stock; its SKU is
 *   its slug. Cart lines, order lines and the low-stock list move to that variant.
 * - products.price_cents and products.stock stay, as the lowest variant price and the total stock,
 *   kept by statement triggers on product_variants: catalog listings, their keyset indexes and the
 *   search SQL read products alone, as before. The trigger locks the products in id order and
 *   computes from a snapshot taken after the lock, so concurrent writers never leave a stale sum.
 *   Checkout, cancellation and staff lock the product rows first themselves, in id order, then
 *   the variants: one lock order, no deadlock with the trigger.
 * - Writes that name no variant keep working for a product with one: a product inserted on its own
 *   gets its one variant from its price and stock (per statement, so a seed's COPY is one insert),
 *   and writing a single-variant product's price or stock writes its variant. A product with
 *   several variants refuses that write: it would not say which variant. (Variant writes made by
 *   these products triggers carry the product's own values: the aggregate skips them.) Likewise a
 *   cart line inserted without a variant gets its product's only one.
 * - low_stock is per variant now; its triggers move from products to product_variants.
 */
export class Migration20261206224832_variants extends Migration {
  override name = 'Migration20261206224832_variants';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "product_options" ("product_id" int not null, "position" int not null, "name" varchar(40) not null, "option_values" jsonb not null, primary key ("product_id", "position"));`,
    );
    this.addSql(
      `alter table "product_options" add constraint "product_options_product_id_foreign" foreign key ("product_id") references "products" ("id") on delete cascade;`,
    );

    this.addSql(
      `create table "product_variants" ("id" serial primary key, "product_id" int not null, "sku" varchar(160) not null, "options" jsonb not null default '{}', "price_cents" int not null, "stock" int not null default 0);`,
    );
    // Deferrable, so staff can swap two variants' SKUs or options in one save (admin writeVariants).
    this.addSql(`alter table "product_variants" add constraint "product_variants_sku_unique" unique ("sku") deferrable initially immediate;`);
    this.addSql(
      `alter table "product_variants" add constraint "product_variants_product_options_unique" unique ("product_id", "options") deferrable initially immediate;`,
    );
    this.addSql(
      `alter table "product_variants" add constraint "product_variants_product_id_foreign" foreign key ("product_id") references "products" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "product_variants" add constraint "product_variants_price_cents_check" check (price_cents >= 0);`);
    this.addSql(`alter table "product_variants" add constraint "product_variants_stock_check" check (stock >= 0);`);
    this.addSql(
      `insert into "product_variants" ("product_id", "sku", "price_cents", "stock") select "id", "slug", "price_cents", "stock" from "products" order by "id";`,
    );

    // Cart lines: one per variant.
    this.addSql(`alter table "cart_items" drop constraint "cart_items_product_id_foreign";`);
    this.addSql(`alter table "cart_items" drop constraint "cart_items_pkey";`);
    this.addSql(`alter table "cart_items" add "variant_id" int null;`);
    this.addSql(`update "cart_items" i set "variant_id" = v."id" from "product_variants" v where v."product_id" = i."product_id";`);
    this.addSql(`alter table "cart_items" alter column "variant_id" set not null;`);
    this.addSql(
      `alter table "cart_items" add constraint "cart_items_variant_id_foreign" foreign key ("variant_id") references "product_variants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "cart_items" add constraint "cart_items_product_id_foreign" foreign key ("product_id") references "products" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "cart_items" add primary key ("cart_id", "variant_id");`);
    // Removing a variant finds its rows in each referencing table by index, not by a scan.
    this.addSql(`create index "cart_items_variant_idx" on "cart_items" ("variant_id");`);

    // Order lines: the variant, and snapshots of its SKU and options.
    this.addSql(`alter table "order_lines" add "variant_id" int null, add "sku" varchar(160) null, add "options" jsonb not null default '{}';`);
    this.addSql(
      `update "order_lines" l set "variant_id" = v."id", "sku" = v."sku" from "product_variants" v where v."product_id" = l."product_id";`,
    );
    this.addSql(`alter table "order_lines" alter column "sku" set not null;`);
    this.addSql(
      `alter table "order_lines" add constraint "order_lines_variant_id_foreign" foreign key ("variant_id") references "product_variants" ("id") on delete set null;`,
    );
    this.addSql(`create index "order_lines_variant_idx" on "order_lines" ("variant_id") where "variant_id" is not null;`);

    this.addSql(`alter table "wishlist_items" add "variant_id" int null;`);
    this.addSql(
      `alter table "wishlist_items" add constraint "wishlist_items_variant_id_foreign" foreign key ("variant_id") references "product_variants" ("id") on delete set null;`,
    );
    this.addSql(`create index "wishlist_items_variant_idx" on "wishlist_items" ("variant_id") where "variant_id" is not null;`);

    // Aggregates: products.price_cents = min, products.stock = sum over the product's variants.
    this.addSql(`create function products_aggregate(ids int[]) returns void language plpgsql as $$
      begin
        perform 1 from products where id = any(ids) order by id for no key update;
        update products p set price_cents = a.price_cents, stock = a.stock
        from (select product_id, min(price_cents) as price_cents, sum(stock)::int as stock
              from product_variants where product_id = any(ids) group by product_id) a
        where p.id = a.product_id and (p.price_cents, p.stock) is distinct from (a.price_cents, a.stock);
      end $$;`);
    this.addSql(`create function product_variants_inserted() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() = 1 then perform products_aggregate(array(select distinct product_id from new_rows)); end if;
        return null;
      end $$;`);
    this.addSql(`create function product_variants_updated() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() = 1 then
          perform products_aggregate(array(select product_id from new_rows union select product_id from old_rows));
        end if;
        return null;
      end $$;`);
    this.addSql(`create function product_variants_deleted() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() = 1 then perform products_aggregate(array(select distinct product_id from old_rows)); end if;
        return null;
      end $$;`);
    this.addSql(`create trigger product_variants_inserted after insert on product_variants
      referencing new table as new_rows for each statement execute function product_variants_inserted();`);
    this.addSql(`create trigger product_variants_updated after update on product_variants
      referencing old table as old_rows new table as new_rows for each statement execute function product_variants_updated();`);
    this.addSql(`create trigger product_variants_deleted after delete on product_variants
      referencing old table as old_rows for each statement execute function product_variants_deleted();`);

    // A product inserted on its own gets its one variant. Its SKU is its slug, unless a variant has
    // that SKU already (a product renamed since keeps its SKU): then the slug and the product's id,
    // and should even that be taken, a random suffix too. Joins, not a lookup per row: the seed
    // drops the SKU index while it loads, and a statement's join then reads the table once.
    this.addSql(`create function products_variant_default() returns trigger language plpgsql as $$
      begin
        insert into product_variants (product_id, sku, price_cents, stock)
        select n.id,
               case when taken.id is null then n.slug
                    when taken_too.id is null then n.slug || '-' || n.id
                    else n.slug || '-' || n.id || '-' || substr(md5(random()::text), 1, 8) end,
               n.price_cents, n.stock
        from new_rows n
        left join product_variants taken on taken.sku = n.slug
        left join product_variants taken_too on taken_too.sku = n.slug || '-' || n.id
        order by n.id;
        return null;
      end $$;`);
    this.addSql(`create trigger products_variant_default after insert on products
      referencing new table as new_rows for each statement execute function products_variant_default();`);
    // A single-variant product's price or stock written directly goes to its variant. Negative
    // values pass through, for products' own checks to refuse with their names.
    this.addSql(`create function products_variant_write() returns trigger language plpgsql as $$
      begin
        if pg_trigger_depth() > 1 or new.stock < 0 or new.price_cents < 0 then return new; end if;
        update product_variants set price_cents = new.price_cents, stock = new.stock
        where product_id = new.id and (select count(*) from product_variants where product_id = new.id) = 1;
        if not found then
          raise exception 'product % has several variants: write the price and stock of one (product_variants)', new.id
            using errcode = 'check_violation', constraint = 'products_variant_write';
        end if;
        return new;
      end $$;`);
    this.addSql(`create trigger products_variant_write before update of price_cents, stock on products for each row
      when (old.price_cents is distinct from new.price_cents or old.stock is distinct from new.stock)
      execute function products_variant_write();`);

    this.addSql(`create function cart_items_variant_default() returns trigger language plpgsql as $$
      begin
        new.variant_id := (select min(id) from product_variants where product_id = new.product_id having count(*) = 1);
        return new;
      end $$;`);
    this.addSql(`create trigger cart_items_variant_default before insert on cart_items for each row
      when (new.variant_id is null) execute function cart_items_variant_default();`);

    // Low stock, per variant.
    this.addSql(`drop trigger products_low_stock_inserted on products;`);
    this.addSql(`drop trigger products_low_stock_updated on products;`);
    this.addSql(`delete from "low_stock";`);
    this.addSql(`alter table "low_stock" drop constraint "low_stock_product_id_foreign";`);
    this.addSql(`alter table "low_stock" drop constraint "low_stock_pkey";`);
    this.addSql(`drop index "low_stock_stock_idx";`);
    this.addSql(`alter table "low_stock" add "variant_id" int not null;`);
    this.addSql(
      `alter table "low_stock" add constraint "low_stock_variant_id_foreign" foreign key ("variant_id") references "product_variants" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "low_stock" add constraint "low_stock_product_id_foreign" foreign key ("product_id") references "products" ("id") on delete cascade;`,
    );
    this.addSql(`alter table "low_stock" add primary key ("variant_id");`);
    this.addSql(`create index "low_stock_stock_idx" on "low_stock" ("stock", "variant_id");`);
    // Written under the variant's row lock (its writer's), so these writes add no lock order of their own.
    this.addSql(`create or replace function low_stock_track() returns trigger language plpgsql as $$
      begin
        if new.stock <= 5 then
          insert into low_stock (variant_id, product_id, stock) values (new.id, new.product_id, new.stock)
          on conflict (variant_id) do update set stock = excluded.stock;
        else
          delete from low_stock where variant_id = new.id;
        end if;
        return null;
      end $$;`);
    this.addSql(`create or replace function low_stock_inserted() returns trigger language plpgsql as $$
      begin
        insert into low_stock (variant_id, product_id, stock) select id, product_id, stock from new_rows where stock <= 5;
        return null;
      end $$;`);
    this.addSql(`create trigger product_variants_low_stock_updated after update of stock on product_variants for each row
      when (new.stock <= 5 or old.stock <= 5) execute function low_stock_track();`);
    this.addSql(`create trigger product_variants_low_stock_inserted after insert on product_variants
      referencing new table as new_rows for each statement execute function low_stock_inserted();`);
    this.addSql(`insert into low_stock (variant_id, product_id, stock) select id, product_id, stock from product_variants where stock <= 5;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger product_variants_low_stock_inserted on product_variants;`);
    this.addSql(`drop trigger product_variants_low_stock_updated on product_variants;`);
    this.addSql(`drop trigger products_variant_write on products;`);
    this.addSql(`drop trigger cart_items_variant_default on cart_items; drop function cart_items_variant_default();`);
    this.addSql(`drop trigger products_variant_default on products;`);
    this.addSql(`drop function products_variant_write(); drop function products_variant_default();`);
    this.addSql(`drop table "low_stock";`);
    this.addSql(`create table "low_stock" ("product_id" int not null, "stock" int not null, primary key ("product_id"));`);
    this.addSql(`create index "low_stock_stock_idx" on "low_stock" ("stock", "product_id");`);
    this.addSql(
      `alter table "low_stock" add constraint "low_stock_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(`create or replace function low_stock_track() returns trigger language plpgsql as $$
      begin
        if new.stock <= 5 then
          insert into low_stock (product_id, stock) values (new.id, new.stock)
          on conflict (product_id) do update set stock = excluded.stock;
        else
          delete from low_stock where product_id = new.id;
        end if;
        return null;
      end $$;`);
    this.addSql(`create or replace function low_stock_inserted() returns trigger language plpgsql as $$
      begin
        insert into low_stock (product_id, stock) select id, stock from new_rows where stock <= 5;
        return null;
      end $$;`);
    this.addSql(`create trigger products_low_stock_updated after update of stock on products for each row
      when (new.stock <= 5 or old.stock <= 5) execute function low_stock_track();`);
    this.addSql(`create trigger products_low_stock_inserted after insert on products
      referencing new table as new_rows for each statement execute function low_stock_inserted();`);
    this.addSql(`insert into low_stock (product_id, stock) select id, stock from products where stock <= 5;`);

    this.addSql(`alter table "wishlist_items" drop column "variant_id";`);
    this.addSql(`alter table "order_lines" drop column "variant_id", drop column "sku", drop column "options";`);
    // Lines of one product in several variants become one line.
    this.addSql(`alter table "cart_items" drop constraint "cart_items_pkey";`);
    this.addSql(`delete from "cart_items" a using "cart_items" b where a."cart_id" = b."cart_id" and a."product_id" = b."product_id" and a."variant_id" > b."variant_id";`);
    this.addSql(`alter table "cart_items" drop column "variant_id";`);
    this.addSql(`alter table "cart_items" add primary key ("cart_id", "product_id");`);
    this.addSql(`drop table "product_variants" cascade;`);
    this.addSql(`drop function product_variants_inserted(); drop function product_variants_updated(); drop function product_variants_deleted();`);
    this.addSql(`drop function products_aggregate(int[]);`);
    this.addSql(`drop table "product_options";`);
  }
}
