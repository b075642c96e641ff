import { Migration } from '@mikro-orm/migrations';

export class Migration20261206145351_staff_mfa extends Migration {

  override name = 'Migration20261206145351_staff_mfa';

  override up(): void | Promise<void> {
    this.addSql(`create table "recovery_codes" ("user_id" uuid not null, "code_hash" text not null, primary key ("user_id", "code_hash"));`);

    this.addSql(`alter table "users" add "totp_secret" text null, add "totp_pending_secret" text null, add "totp_last_step" bigint null;`);

    this.addSql(`alter table "recovery_codes" add constraint "recovery_codes_user_id_foreign" foreign key ("user_id") references "users" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "recovery_codes" cascade;`);

    this.addSql(`alter table "users" drop column "totp_secret", drop column "totp_pending_secret", drop column "totp_last_step";`);

  }

}
