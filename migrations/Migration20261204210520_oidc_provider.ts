import { Migration } from '@mikro-orm/migrations';

export class Migration20261204210520_oidc_provider extends Migration {
  override name = 'Migration20261204210520_oidc_provider';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "oidc_client" ("id" uuid not null, "tenant_id" varchar(64) not null, "client_id" varchar(64) not null, "name" varchar(100) not null, "secret_hash" varchar(64) null, "redirect_uris" text[] not null, "post_logout_redirect_uris" text[] not null, "grant_types" text[] not null, "public" boolean not null, "first_party" boolean not null, "backchannel_logout_uri" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`,
    );
    this.addSql(`create index "oidc_client_tenant_idx" on "oidc_client" ("tenant_id", "created_at");`);
    this.addSql(`alter table "oidc_client" add constraint "oidc_client_client_id_unique" unique ("client_id");`);

    this.addSql(
      `create table "oidc_consent" ("tenant_id" varchar(64) not null, "user_id" uuid not null, "client_id" varchar(64) not null, "scopes" text[] not null, "updated_at" timestamptz not null default now(), primary key ("tenant_id", "user_id", "client_id"));`,
    );

    this.addSql(
      `create table "oidc_record" ("kind" varchar(32) not null, "id" varchar(128) not null, "tenant_id" varchar(64) not null, "payload" jsonb not null, "grant_id" varchar(128) null, "session_id" uuid null, "sid" varchar(128) null, "expires_at" timestamptz null, "consumed_at" timestamptz null, primary key ("kind", "id"));`,
    );
    this.addSql(`create index "oidc_record_expires_idx" on "oidc_record" ("expires_at");`);
    this.addSql(`create index "oidc_record_session_idx" on "oidc_record" ("session_id");`);
    this.addSql(`create index "oidc_record_grant_idx" on "oidc_record" ("grant_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "oidc_client" cascade;`);
    this.addSql(`drop table if exists "oidc_consent" cascade;`);
    this.addSql(`drop table if exists "oidc_record" cascade;`);
  }
}
