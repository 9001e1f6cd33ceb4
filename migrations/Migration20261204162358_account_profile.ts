import { Migration } from '@mikro-orm/migrations';

export class Migration20261204162358_account_profile extends Migration {
  override name = 'Migration20261204162358_account_profile';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "app_user" add "photo_url" text null, add "country" varchar(2) null, add "locale" varchar(35) null, add "settings" jsonb not null default '{}';`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "app_user" drop column "photo_url", drop column "country", drop column "locale", drop column "settings";`,
    );
  }
}
