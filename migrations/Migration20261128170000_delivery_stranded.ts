import { Migration } from '@mikro-orm/migrations';

/**
 * The workers' sweep for stranded messages (DeliveryService.requeueStranded) asks every 30 s
 * for the oldest rows still `queued`; a partial index keeps that to the few rows in flight
 * instead of a scan of the whole delivery history.
 */
export class Migration20261128170000_delivery_stranded extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "delivery_message_queued_idx" on "delivery_message" ("created_at") where "status" = 'queued';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists "delivery_message_queued_idx";`);
  }
}
