import { Migration } from '@mikro-orm/migrations';

export class Migration20261205000200_outbound_webhooks extends Migration {
  override name = 'Migration20261205000200_outbound_webhooks';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "webhook_delivery" ("id" uuid not null, "tenant_id" varchar(64) not null, "endpoint_id" uuid not null, "user_id" uuid null, "event_id" uuid not null, "type" varchar(64) not null, "body" text not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "response_status" int null, "attempt_log" jsonb not null default '[]', "created_at" timestamptz not null default now(), "delivered_at" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "webhook_delivery_created_idx" on "webhook_delivery" ("created_at");`);
    this.addSql(`create index "webhook_delivery_user_idx" on "webhook_delivery" ("tenant_id", "user_id");`);
    this.addSql(
      `create index "webhook_delivery_endpoint_idx" on "webhook_delivery" ("endpoint_id", "created_at", "id");`,
    );

    this.addSql(
      `create table "webhook_endpoint" ("id" uuid not null, "tenant_id" varchar(64) not null, "url" varchar(2048) not null, "events" text[] not null, "secret" text not null, "enabled" boolean not null default true, "disabled_reason" varchar(32) null, "created_at" timestamptz not null default now(), "last_success_at" timestamptz null, "last_failure_at" timestamptz null, "failing_since" timestamptz null, primary key ("id"));`,
    );
    this.addSql(`create index "webhook_endpoint_tenant_idx" on "webhook_endpoint" ("tenant_id", "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_delivery" cascade;`);
    this.addSql(`drop table if exists "webhook_endpoint" cascade;`);
  }
}
