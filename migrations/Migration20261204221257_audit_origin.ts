import { Migration } from '@mikro-orm/migrations';

export class Migration20261204221257_audit_origin extends Migration {
  override name = 'Migration20261204221257_audit_origin';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "audit_event" add "country" varchar(2) null, add "city" varchar(100) null, add "service" varchar(64) null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "audit_event" drop column "country", drop column "city", drop column "service";`);
  }
}
