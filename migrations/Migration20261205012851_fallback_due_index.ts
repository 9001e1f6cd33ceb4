import { Migration } from '@mikro-orm/migrations';

export class Migration20261205012851_fallback_due_index extends Migration {
  override name = 'Migration20261205012851_fallback_due_index';

  override up(): void | Promise<void> {
    this.addSql(
      `create index "delivery_message_fallback_due_idx" on "delivery_message" ("created_at") where "fallback_payload" is not null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "delivery_message_fallback_due_idx";`);
  }
}
