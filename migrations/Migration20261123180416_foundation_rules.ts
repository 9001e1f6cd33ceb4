import { Migration } from '@mikro-orm/migrations';

/**
 * What the entity diff cannot express: the default tenant that always exists, tenant
 * references, and an audit log the application itself cannot rewrite.
 */
export class Migration20261123180416_foundation_rules extends Migration {
  override async up(): Promise<void> {
    this.addSql(`insert into "tenant" ("id", "name") values ('default', 'Default') on conflict do nothing;`);
    this.addSql(
      `alter table "app_user" add constraint "app_user_tenant_fk" foreign key ("tenant_id") references "tenant" ("id");`,
    );
    // Append-only: no UPDATE ever; DELETE only from the retention job, which sets the flag
    // for its own transaction (set local secureauth.audit_prune = 'on').
    this.addSql(`
      create or replace function audit_event_append_only() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('secureauth.audit_prune', true) = 'on' then
          return old;
        end if;
        raise exception 'audit_event is append-only';
      end $$;`);
    this.addSql(`
      create trigger audit_event_append_only before update or delete on "audit_event"
      for each row execute function audit_event_append_only();`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists audit_event_append_only on "audit_event";`);
    this.addSql(`drop function if exists audit_event_append_only();`);
    this.addSql(`alter table "app_user" drop constraint if exists "app_user_tenant_fk";`);
  }
}
