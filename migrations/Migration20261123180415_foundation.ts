import { Migration } from '@mikro-orm/migrations';

export class Migration20261123180415_foundation extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "audit_event" ("id" uuid not null, "tenant_id" varchar(64) not null, "type" varchar(64) not null, "outcome" varchar(8) not null, "actor_id" uuid null, "subject_id" uuid null, "session_id" uuid null, "device_id" uuid null, "ip" varchar(64) null, "user_agent" varchar(512) null, "request_id" varchar(128) null, "data" jsonb null, "created_at" timestamptz not null default now(), constraint "audit_event_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "audit_event_type_idx" on "audit_event" ("tenant_id", "type", "created_at");`);
    this.addSql(`create index "audit_event_tenant_created_idx" on "audit_event" ("tenant_id", "created_at", "id");`);
    this.addSql(
      `create index "audit_event_subject_idx" on "audit_event" ("tenant_id", "subject_id", "created_at", "id");`,
    );

    this.addSql(
      `create table "tenant" ("id" varchar(64) not null, "name" varchar(200) not null, "is_active" boolean not null default true, "settings" jsonb not null default '{}', "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "tenant_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "app_user" ("id" uuid not null, "tenant_id" varchar(64) not null, "email" varchar(320) null, "email_verified_at" timestamptz null, "phone" varchar(20) null, "phone_verified_at" timestamptz null, "password_hash" text null, "first_name" varchar(100) null, "last_name" varchar(100) null, "roles" text[] not null default '{user}', "status" varchar(16) not null default 'active', "is_mfa_enabled" boolean not null default false, "is_platform_admin" boolean not null default false, "password_changed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "app_user_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "app_user_tenant_created_idx" on "app_user" ("tenant_id", "created_at", "id");`);
    this.addSql(`alter table "app_user" add constraint "app_user_tenant_phone_unique" unique ("tenant_id", "phone");`);
    this.addSql(`alter table "app_user" add constraint "app_user_tenant_email_unique" unique ("tenant_id", "email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_event" cascade;`);

    this.addSql(`drop table if exists "tenant" cascade;`);

    this.addSql(`drop table if exists "app_user" cascade;`);
  }
}
