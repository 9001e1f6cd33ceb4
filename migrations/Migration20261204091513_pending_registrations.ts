import { Migration } from '@mikro-orm/migrations';

/**
 * Registrations wait outside app_user until their mailbox is proven (security review, issue
 * 11, findings 1 and 2): an unverified registration was an account that a second registration
 * could re-password and that code sign-in would adopt with whatever password it carried.
 *
 * Existing unverified registrations move over under the same id (a code already mailed still
 * activates them) as contested: the password they hold may have been set by anyone who
 * registered the address, so none is kept; the owner sets one by password reset. Only rows no
 * flow could ever sign in to move: no verified email or phone, no session.
 */
export class Migration20261204091513_pending_registrations extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "pending_registration" ("id" uuid not null, "tenant_id" varchar(64) not null, "email" varchar(320) not null, "password_hash" text not null, "first_name" varchar(100) null, "last_name" varchar(100) null, "contested_at" timestamptz null, "created_at" timestamptz not null default now(), "expires_at" timestamptz not null, constraint "pending_registration_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "pending_registration_expires_idx" on "pending_registration" ("expires_at");`);
    this.addSql(
      `alter table "pending_registration" add constraint "pending_registration_tenant_email_unique" unique ("tenant_id", "email");`,
    );

    const neverSignedIn = `u."email" is not null and u."email_verified_at" is null and u."phone_verified_at" is null
      and not exists (select 1 from "session" s where s."user_id" = u."id")`;
    this.addSql(
      `insert into "pending_registration"
         ("id", "tenant_id", "email", "password_hash", "first_name", "last_name", "contested_at", "created_at", "expires_at")
       select u."id", u."tenant_id", u."email", u."password_hash", u."first_name", u."last_name", now(), u."created_at",
              now() + interval '1 day'
         from "app_user" u where ${neverSignedIn} and u."password_hash" is not null;`,
    );
    this.addSql(`delete from "app_user" u where ${neverSignedIn};`);
  }

  override async down(): Promise<void> {
    this.addSql(
      `insert into "app_user" ("id", "tenant_id", "email", "password_hash", "first_name", "last_name", "created_at")
       select "id", "tenant_id", "email", "password_hash", "first_name", "last_name", "created_at"
         from "pending_registration" where "expires_at" > now()
       on conflict do nothing;`,
    );
    this.addSql(`drop table if exists "pending_registration" cascade;`);
  }
}
