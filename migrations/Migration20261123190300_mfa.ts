import { Migration } from '@mikro-orm/migrations';

/** MFA factors: TOTP and email settings per user, passkeys, recovery codes. */
export class Migration20261123190300_mfa extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "user_mfa" ("user_id" uuid not null, "tenant_id" varchar(64) not null, "totp_secret" text null, "totp_confirmed_at" timestamptz null, "totp_last_step" bigint null, "email_enabled_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "user_mfa_pkey" primary key ("user_id"));`,
    );

    this.addSql(
      `create table "passkey" ("id" uuid not null, "tenant_id" varchar(64) not null, "user_id" uuid not null, "credential_id" varchar(1024) not null, "public_key" bytea not null, "counter" bigint not null default 0, "transports" text[] not null default '{}', "name" varchar(100) not null, "device_type" varchar(16) not null, "is_backed_up" boolean not null default false, "created_at" timestamptz not null default now(), "last_used_at" timestamptz null, constraint "passkey_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "passkey_tenant_user_idx" on "passkey" ("tenant_id", "user_id");`);
    this.addSql(`alter table "passkey" add constraint "passkey_credential_id_unique" unique ("credential_id");`);

    this.addSql(
      `create table "recovery_code" ("id" uuid not null, "tenant_id" varchar(64) not null, "user_id" uuid not null, "code_hash" varchar(64) not null, "used_at" timestamptz null, "created_at" timestamptz not null default now(), constraint "recovery_code_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "recovery_code_tenant_user_idx" on "recovery_code" ("tenant_id", "user_id");`);
    this.addSql(
      `alter table "recovery_code" add constraint "recovery_code_user_hash_unique" unique ("user_id", "code_hash");`,
    );

    // Not expressible in the entities (plain uuid columns): factors go with their user.
    for (const table of ['user_mfa', 'passkey', 'recovery_code']) {
      this.addSql(
        `alter table "${table}" add constraint "${table}_user_fk" foreign key ("user_id") references "app_user" ("id") on delete cascade;`,
      );
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "recovery_code" cascade;`);
    this.addSql(`drop table if exists "passkey" cascade;`);
    this.addSql(`drop table if exists "user_mfa" cascade;`);
  }
}
