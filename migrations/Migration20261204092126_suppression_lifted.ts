import { Migration } from '@mikro-orm/migrations';

/**
 * An admin's lift of a suppression is kept (lifted_at) instead of deleting the entry, so that a
 * provider event about a message sent before the lift (a late callback, or a replay once the
 * replay guard has forgotten it) cannot suppress the destination again.
 */
export class Migration20261204092126_suppression_lifted extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "delivery_suppression" add column "lifted_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "delivery_suppression" drop column "lifted_at";`);
  }
}
