import { Migration } from '@mikro-orm/migrations';

export class Migration20261206201119_email_outbox extends Migration {

  override name = 'Migration20261206201119_email_outbox';

  override up(): void | Promise<void> {
    this.addSql(`create table "email_outbox" ("id" uuid not null default gen_random_uuid(), "order_id" uuid not null, "kind" text not null, "created_at" timestamptz not null default now(), "attempts" int not null default 0, "next_attempt_at" timestamptz not null default now(), "last_error" text null, "receipt" text null, "sent_at" timestamptz null, "failed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "email_outbox_due_idx" on "email_outbox" ("next_attempt_at") where "sent_at" is null and "failed_at" is null;`);
    this.addSql(`alter table "email_outbox" add constraint "email_outbox_order_kind_unique" unique ("order_id", "kind");`);

    this.addSql(`alter table "email_outbox" add constraint "email_outbox_order_id_foreign" foreign key ("order_id") references "orders" ("id") on delete cascade;`);
    this.addSql(`alter table "email_outbox" add constraint "email_outbox_kind_check" check ("kind" in ('order_placed', 'order_shipped', 'order_delivered', 'order_cancelled'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "email_outbox" cascade;`);
  }

}
