import { Migration } from '@mikro-orm/migrations';

export class Migration20261122032308_initial extends Migration {

  override name = 'Migration20261122032308_initial';

  override up(): void | Promise<void> {
    // Written by hand: what the entity metadata cannot express.
    this.addSql(`create extension if not exists pg_trgm;`);
    this.addSql(`create sequence if not exists "order_number_seq" start with 100001;`);

    this.addSql(`create table "categories" ("id" serial primary key, "slug" varchar(80) not null, "name" varchar(80) not null);`);
    this.addSql(`alter table "categories" add constraint "categories_slug_unique" unique ("slug");`);

    this.addSql(`create table "products" ("id" serial primary key, "slug" varchar(120) not null, "name" varchar(200) not null, "description" text not null, "price_cents" int not null, "currency" varchar(3) not null default 'EUR', "image_url" varchar(500) not null, "stock" int not null default 0, "category_id" int not null, "created_at" timestamptz not null default now(), "search" tsvector generated always as (setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')) stored null);`);
    this.addSql(`alter table "products" add constraint "products_slug_unique" unique ("slug");`);
    this.addSql(`create index "products_search_idx" on "products" using gin ("search");`);
    this.addSql(`create index "products_name_trgm_idx" on "products" using gin ("name" gin_trgm_ops);`);
    this.addSql(`create index "products_price_idx" on "products" ("price_cents", "id");`);
    this.addSql(`create index "products_created_idx" on "products" ("created_at", "id");`);
    this.addSql(`create index "products_name_idx" on "products" ("name", "id");`);
    this.addSql(`create index "products_category_price_idx" on "products" ("category_id", "price_cents", "id");`);
    this.addSql(`create index "products_category_created_idx" on "products" ("category_id", "created_at", "id");`);
    this.addSql(`create index "products_category_name_idx" on "products" ("category_id", "name", "id");`);

    this.addSql(`create table "users" ("id" uuid not null default gen_random_uuid(), "email" varchar(254) not null, "name" varchar(80) not null, "password_hash" text not null, "role" text not null default 'shopper', "session_version" int not null default 1, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "orders" ("id" uuid not null default gen_random_uuid(), "number" bigint not null default nextval('order_number_seq'::regclass), "user_id" uuid not null, "status" text not null default 'placed', "total_cents" int not null, "currency" varchar(3) not null, "shipping_address" jsonb not null, "idempotency_key" uuid not null, "cart_fingerprint" varchar(64) not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "orders" add constraint "orders_number_unique" unique ("number");`);
    this.addSql(`create index "orders_user_created_idx" on "orders" ("user_id", "created_at", "id");`);
    this.addSql(`create index "orders_status_created_idx" on "orders" ("status", "created_at", "id");`);
    this.addSql(`create index "orders_created_idx" on "orders" ("created_at", "id");`);
    this.addSql(`alter table "orders" add constraint "orders_user_idempotency_unique" unique ("user_id", "idempotency_key");`);

    this.addSql(`create table "order_lines" ("id" serial primary key, "order_id" uuid not null, "product_id" int not null, "name" varchar(200) not null, "unit_price_cents" int not null, "quantity" int not null, "line_total_cents" int not null);`);
    this.addSql(`create index "order_lines_order_idx" on "order_lines" ("order_id");`);

    this.addSql(`create table "chat_rooms" ("id" varchar(64) not null, "kind" text not null, "name" varchar(120) not null, "owner_id" uuid null, "last_seq" bigint not null default '0', "created_at" timestamptz not null default now(), primary key ("id"));`);

    this.addSql(`create table "chat_messages" ("room_id" varchar(64) not null, "seq" bigint not null, "author_id" uuid not null, "text" varchar(2000) not null, "client_id" uuid null, "created_at" timestamptz not null default now(), primary key ("room_id", "seq"));`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_client_unique" unique ("author_id", "client_id");`);

    this.addSql(`create table "carts" ("id" uuid not null default gen_random_uuid(), "user_id" uuid null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "carts" add constraint "carts_user_unique" unique ("user_id");`);

    this.addSql(`create table "cart_items" ("cart_id" uuid not null, "product_id" int not null, "quantity" int not null, "added_at" timestamptz not null default now(), primary key ("cart_id", "product_id"));`);

    this.addSql(`create table "wishlist_items" ("user_id" uuid not null, "product_id" int not null, "added_at" timestamptz not null default now(), primary key ("user_id", "product_id"));`);

    this.addSql(`alter table "products" add constraint "products_category_id_foreign" foreign key ("category_id") references "categories" ("id") on delete restrict;`);
    this.addSql(`alter table "products" add constraint "products_price_cents_check" check (price_cents >= 0);`);
    this.addSql(`alter table "products" add constraint "products_stock_check" check (stock >= 0);`);

    this.addSql(`alter table "users" add constraint "users_email_check" check (email = lower(email));`);
    this.addSql(`alter table "users" add constraint "users_role_check" check ("role" in ('shopper', 'staff'));`);

    this.addSql(`alter table "orders" add constraint "orders_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete restrict;`);
    this.addSql(`alter table "orders" add constraint "orders_total_cents_check" check (total_cents >= 0);`);
    this.addSql(`alter table "orders" add constraint "orders_status_check" check ("status" in ('placed', 'shipped', 'delivered', 'cancelled'));`);

    this.addSql(`alter table "order_lines" add constraint "order_lines_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade;`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_product_id_foreign" foreign key ("product_id") references "products" ("id") on delete restrict;`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_unit_price_cents_check" check (unit_price_cents >= 0);`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_quantity_check" check (quantity >= 1 and quantity <= 99);`);
    this.addSql(`alter table "order_lines" add constraint "order_lines_line_total_cents_check" check (line_total_cents >= 0);`);

    this.addSql(`alter table "chat_rooms" add constraint "chat_rooms_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_rooms" add constraint "chat_rooms_kind_check" check ("kind" in ('lobby', 'support'));`);

    this.addSql(`alter table "chat_messages" add constraint "chat_messages_room_id_foreign" foreign key ("room_id") references "chat_rooms" ("id") on delete cascade;`);
    this.addSql(`alter table "chat_messages" add constraint "chat_messages_author_id_foreign" foreign key ("author_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "carts" add constraint "carts_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);

    this.addSql(`alter table "cart_items" add constraint "cart_items_cart_id_foreign" foreign key ("cart_id") references "carts" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "cart_items" add constraint "cart_items_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "cart_items" add constraint "cart_items_quantity_check" check (quantity >= 1 and quantity <= 99);`);

    this.addSql(`alter table "wishlist_items" add constraint "wishlist_items_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "wishlist_items" add constraint "wishlist_items_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete cascade;`);

    this.addSql(`insert into "chat_rooms" ("id", "kind", "name") values ('lobby', 'lobby', 'Lobby');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "products" drop constraint "products_category_id_foreign";`);
    this.addSql(`alter table "order_lines" drop constraint "order_lines_product_id_foreign";`);
    this.addSql(`alter table "cart_items" drop constraint "cart_items_product_id_foreign";`);
    this.addSql(`alter table "wishlist_items" drop constraint "wishlist_items_product_id_foreign";`);
    this.addSql(`alter table "orders" drop constraint "orders_user_id_foreign";`);
    this.addSql(`alter table "chat_rooms" drop constraint "chat_rooms_owner_id_foreign";`);
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_author_id_foreign";`);
    this.addSql(`alter table "carts" drop constraint "carts_user_id_foreign";`);
    this.addSql(`alter table "wishlist_items" drop constraint "wishlist_items_user_id_foreign";`);
    this.addSql(`alter table "order_lines" drop constraint "order_lines_order_id_foreign";`);
    this.addSql(`alter table "chat_messages" drop constraint "chat_messages_room_id_foreign";`);
    this.addSql(`alter table "cart_items" drop constraint "cart_items_cart_id_foreign";`);

    this.addSql(`drop table if exists "categories" cascade;`);
    this.addSql(`drop table if exists "products" cascade;`);
    this.addSql(`drop table if exists "users" cascade;`);
    this.addSql(`drop table if exists "orders" cascade;`);
    this.addSql(`drop table if exists "order_lines" cascade;`);
    this.addSql(`drop table if exists "chat_rooms" cascade;`);
    this.addSql(`drop table if exists "chat_messages" cascade;`);
    this.addSql(`drop table if exists "carts" cascade;`);
    this.addSql(`drop table if exists "cart_items" cascade;`);
    this.addSql(`drop table if exists "wishlist_items" cascade;`);
    this.addSql(`drop sequence if exists "order_number_seq";`);
  }

}
