import { Migration } from '@mikro-orm/migrations';

export class Migration20261205004230_channel_fallback extends Migration {
  override name = 'Migration20261205004230_channel_fallback';

  override up(): void | Promise<void> {
    this.addSql(
      `alter table "delivery_message" add "fallback_channel" varchar(16) null, add "fallback_payload" text null, add "fallback_message_id" uuid null, add "fallback_of" uuid null;`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(
      `alter table "delivery_message" drop column "fallback_channel", drop column "fallback_payload", drop column "fallback_message_id", drop column "fallback_of";`,
    );
  }
}
