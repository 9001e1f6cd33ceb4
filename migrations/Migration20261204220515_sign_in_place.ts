import { Migration } from '@mikro-orm/migrations';

export class Migration20261204220515_sign_in_place extends Migration {
  override name = 'Migration20261204220515_sign_in_place';

  override up(): void | Promise<void> {
    this.addSql(`alter table "device" add "last_country" varchar(2) null, add "last_city" varchar(100) null;`);

    this.addSql(
      `alter table "session" add "country" varchar(2) null, add "city" varchar(100) null, add "service" varchar(64) null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "device" drop column "last_country", drop column "last_city";`);

    this.addSql(`alter table "session" drop column "country", drop column "city", drop column "service";`);
  }
}
