import { Migration } from '@mikro-orm/migrations';

/**
 * Whether a passkey's registration verified its user: only then may it sign in alone. Rows
 * registered before this column existed default to false (second factor only): their
 * registration's UV flag was never kept, and guessing "yes" would let a touch-only security
 * key keep signing in without a password.
 */
export class Migration20261204091054_passkey_user_verification extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "passkey" add column "has_user_verification" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "passkey" drop column "has_user_verification";`);
  }
}
