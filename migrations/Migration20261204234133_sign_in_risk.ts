import { Migration } from '@mikro-orm/migrations';

export class Migration20261204234133_sign_in_risk extends Migration {
  override name = 'Migration20261204234133_sign_in_risk';

  override up(): void | Promise<void> {
    this.addSql(
      `create table "sign_in_place" ("tenant_id" varchar(64) not null, "user_id" uuid not null, "country_code" varchar(2) not null, "city" varchar(100) null, "latitude" double precision null, "longitude" double precision null, "last_seen_at" timestamptz not null, primary key ("tenant_id", "user_id", "country_code"));`,
    );

    this.addSql(
      `create index "audit_event_impossible_travel_idx" on "audit_event" ("tenant_id", "subject_id", "created_at") where "type" = 'login.impossible_travel';`,
    );
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "sign_in_place" cascade;`);

    this.addSql(`drop index "audit_event_impossible_travel_idx";`);
  }
}
