import { Migration } from '@mikro-orm/migrations';

export class Migration20261122044452_order_events extends Migration {

  override name = 'Migration20261122044452_order_events';

  override up(): void | Promise<void> {
    this.addSql(`create table "order_events" ("user_id" uuid not null, "seq" bigint not null, "order_id" uuid not null, "status" text not null, "created_at" timestamptz not null default now(), primary key ("user_id", "seq"));`);
    this.addSql(`create index "order_events_order_idx" on "order_events" ("order_id");`);

    this.addSql(`alter table "users" add "order_event_seq" bigint not null default '0';`);

    this.addSql(`alter table "order_events" add constraint "order_events_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
    this.addSql(`alter table "order_events" add constraint "order_events_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade;`);
    this.addSql(`alter table "order_events" add constraint "order_events_status_check" check ("status" in ('placed', 'shipped', 'delivered', 'cancelled'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "order_events" cascade;`);

    this.addSql(`alter table "users" drop column "order_event_seq";`);

    this.addSql(`create sequence if not exists "orders_number_seq";`);
    this.addSql(`select setval('orders_number_seq', (select max("number") from "orders"));`);
    this.addSql(`alter table "orders" alter column "number" set default nextval('orders_number_seq');`);
  }

}
