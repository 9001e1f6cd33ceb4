import { Migration } from '@mikro-orm/migrations';

export class Migration20261204180924_account_deletion extends Migration {
  override name = 'Migration20261204180924_account_deletion';

  override up(): void | Promise<void> {
    this.addSql(`alter table "app_user" add "purge_at" timestamptz null;`);
    this.addSql(`create index "app_user_purge_due_idx" on "app_user" ("purge_at") where "purge_at" is not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "app_user_purge_due_idx";`);
    this.addSql(`alter table "app_user" drop column "purge_at";`);
  }
}
