import { Migration } from '@mikro-orm/migrations';

/**
 * The refresh reuse grace window: each session keeps the hash of the refresh token its
 * current one replaced, when, and the current token sealed under the replaced one
 * (refresh-successor.ts), so that a racing replay within the window gets the same successor.
 */
export class Migration20261204091425_session_grace extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "session" add column "previous_token_hash" varchar(64) null, add column "rotated_at" timestamptz null, add column "sealed_successor" bytea null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "session" drop column "previous_token_hash", drop column "rotated_at", drop column "sealed_successor";`,
    );
  }
}
