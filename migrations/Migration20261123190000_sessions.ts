import { Migration } from '@mikro-orm/migrations';

export class Migration20261123190000_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "signing_key" ("kid" varchar(64) not null, "alg" varchar(16) not null, "public_jwk" jsonb not null, "private_key" text not null, "created_at" timestamptz not null default now(), "retired_at" timestamptz null, constraint "signing_key_pkey" primary key ("kid"));`,
    );
    this.addSql(`create unique index "signing_key_active_unique" on "signing_key" ("alg") where "retired_at" is null;`);

    this.addSql(
      `create table "session" ("id" uuid not null, "tenant_id" varchar(64) not null, "user_id" uuid not null, "device_id" uuid null, "token_hash" varchar(64) not null, "amr" text[] not null, "aal" smallint not null, "auth_time" timestamptz not null, "ip" varchar(64) null, "user_agent" varchar(512) null, "created_at" timestamptz not null default now(), "last_seen_at" timestamptz not null default now(), "expires_at" timestamptz not null, "idle_expires_at" timestamptz not null, "revoked_at" timestamptz null, "revoke_reason" varchar(64) null, constraint "session_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "session_user_idx" on "session" ("tenant_id", "user_id", "created_at");`);
    this.addSql(`create index "session_device_idx" on "session" ("device_id");`);
    this.addSql(`alter table "session" add constraint "session_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `create table "refresh_token" ("token_hash" varchar(64) not null, "session_id" uuid not null, "rotated_at" timestamptz not null, constraint "refresh_token_pkey" primary key ("token_hash"));`,
    );
    this.addSql(`create index "refresh_token_session_idx" on "refresh_token" ("session_id");`);

    this.addSql(
      `create table "device" ("id" uuid not null, "tenant_id" varchar(64) not null, "user_id" uuid not null, "device_key" varchar(64) not null, "name" varchar(100) not null, "platform" varchar(50) null, "model" varchar(100) null, "app_version" varchar(50) null, "user_agent" varchar(512) null, "first_seen_at" timestamptz not null default now(), "last_seen_at" timestamptz not null default now(), "last_ip" varchar(64) null, "is_trusted" boolean not null default false, constraint "device_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "device_user_idx" on "device" ("tenant_id", "user_id", "last_seen_at");`);
    this.addSql(
      `alter table "device" add constraint "device_user_key_unique" unique ("tenant_id", "user_id", "device_key");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "device" cascade;`);
    this.addSql(`drop table if exists "refresh_token" cascade;`);
    this.addSql(`drop table if exists "session" cascade;`);
    this.addSql(`drop table if exists "signing_key" cascade;`);
  }
}
