import { Migration } from '@mikro-orm/migrations';

export class Migration20261206213000_promotions extends Migration {

  override name = 'Migration20261206213000_promotions';

  override up(): void | Promise<void> {
    this.addSql(`create table "promotions" ("id" serial primary key, "code" varchar(32) not null, "kind" text not null, "value" int not null, "min_subtotal_cents" int not null default 0, "starts_at" timestamptz null, "ends_at" timestamptz null, "usage_limit" int null, "used_count" int not null default 0, "active" boolean not null default true, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now());`);
    this.addSql(`alter table "promotions" add constraint "promotions_code_unique" unique ("code");`);
    this.addSql(`alter table "promotions" add constraint "promotions_value_check" check (value >= 1 and (kind <> 'percent' or value <= 100));`);
    this.addSql(`alter table "promotions" add constraint "promotions_used_count_check" check (used_count >= 0 and (usage_limit is null or used_count <= usage_limit));`);
    this.addSql(`alter table "promotions" add constraint "promotions_dates_check" check (starts_at is null or ends_at is null or ends_at > starts_at);`);
    this.addSql(`alter table "promotions" add constraint "promotions_code_check" check (code = upper(code));`);
    this.addSql(`alter table "promotions" add constraint "promotions_min_subtotal_cents_check" check (min_subtotal_cents >= 0);`);
    this.addSql(`alter table "promotions" add constraint "promotions_usage_limit_check" check (usage_limit >= 0);`);
    this.addSql(`alter table "promotions" add constraint "promotions_kind_check" check ("kind" in ('percent', 'fixed'));`);

    // Orders placed so far had no discount: their subtotal is their total.
    this.addSql(`alter table "orders" add "promotion_id" int null, add "code" varchar(32) null, add "subtotal_cents" int null, add "discount_cents" int not null default 0;`);
    this.addSql(`update "orders" set "subtotal_cents" = "total_cents";`);
    this.addSql(`alter table "orders" alter column "subtotal_cents" set not null;`);
    this.addSql(`alter table "orders" add constraint "orders_promotion_id_foreign" foreign key ("promotion_id") references "promotions" ("id") on delete restrict;`);
    this.addSql(`alter table "orders" add constraint "orders_total_check" check (total_cents = subtotal_cents - discount_cents);`);
    this.addSql(`alter table "orders" add constraint "orders_subtotal_cents_check" check (subtotal_cents >= 0);`);
    this.addSql(`alter table "orders" add constraint "orders_discount_cents_check" check (discount_cents >= 0);`);

    this.addSql(`alter table "carts" add "promotion_id" int null;`);
    this.addSql(`alter table "carts" add constraint "carts_promotion_id_foreign" foreign key ("promotion_id") references "promotions" ("id") on delete set null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "carts" drop column "promotion_id";`);
    this.addSql(`alter table "orders" drop constraint "orders_total_check", drop constraint "orders_subtotal_cents_check", drop constraint "orders_discount_cents_check";`);
    this.addSql(`alter table "orders" drop column "promotion_id", drop column "code", drop column "subtotal_cents", drop column "discount_cents";`);
    this.addSql(`drop table if exists "promotions" cascade;`);
  }

}
