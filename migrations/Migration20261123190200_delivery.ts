import { Migration } from '@mikro-orm/migrations';

export class Migration20261123190200_delivery extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "delivery_message" ("id" uuid not null, "tenant_id" varchar(64) not null, "user_id" uuid null, "channel" varchar(16) not null, "purpose" varchar(32) not null, "destination_masked" varchar(64) not null, "destination_hash" varchar(64) not null, "status" varchar(16) not null default 'queued', "attempts" int not null default 0, "last_error" varchar(500) null, "provider_message_id" varchar(128) null, "payload" text null, "expires_at" timestamptz not null, "sent_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), constraint "delivery_message_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "delivery_message_created_idx" on "delivery_message" ("created_at", "id");`);
    this.addSql(
      `create index "delivery_message_tenant_created_idx" on "delivery_message" ("tenant_id", "created_at", "id");`,
    );

    this.addSql(
      `create table "delivery_suppression" ("id" uuid not null, "tenant_id" varchar(64) not null, "channel" varchar(16) not null, "destination_hash" varchar(64) not null, "destination_masked" varchar(64) not null, "reason" varchar(200) not null, "created_at" timestamptz not null default now(), constraint "delivery_suppression_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "delivery_suppression_tenant_created_idx" on "delivery_suppression" ("tenant_id", "created_at", "id");`,
    );
    this.addSql(
      `alter table "delivery_suppression" add constraint "delivery_suppression_destination_unique" unique ("tenant_id", "channel", "destination_hash");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "delivery_message" cascade;`);
    this.addSql(`drop table if exists "delivery_suppression" cascade;`);
  }
}
