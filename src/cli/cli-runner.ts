import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { writeFile } from 'node:fs/promises';
import { CORE_IMPORTS } from '../app.module';
import { buildOpenApiDocument, createApp } from '../bootstrap';
import { AppException } from '../common/errors';
import { validateConfiguration } from '../config';
import { createMigration, ensureDatabaseExists, migrateUp, migrationNeeded } from '../database/database-admin';
import { MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { AdminTenantsService } from '../modules/admin/admin-tenants.service';
import { AdminModule } from '../modules/admin/admin.module';
import { AdminUsersService } from '../modules/admin/admin-users.service';
import { AuditRetentionService } from '../modules/audit/audit-retention.service';
import { AuditService } from '../modules/audit/audit.service';
import { OidcClientsModule } from '../modules/oidc/clients/oidc-clients.module';
import { OidcClients } from '../modules/oidc/clients/oidc-clients.service';
import type { OidcGrantType } from '../modules/oidc/clients/oidc-client.dto';
import { DEFAULT_TENANT_ID } from '../modules/tenants/tenant.entity';
import { parseTenantSettings } from '../modules/tenants/tenant-settings.dto';
import { TenantsService } from '../modules/tenants/tenants.service';
import { revokeSessionsCommand, rotateKeysCommand } from '../modules/sessions/sessions.cli';
import { ROLES, type Role, type User } from '../modules/users/user.entity';
import { UsersService } from '../modules/users/users.service';
import { canonicalEmail } from '../common/http/canonical-email';

type Flags = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage?: string;
  /** Commands that need the domain services get a Nest application context. */
  run(flags: Flags, positional: string[], context: () => Promise<INestApplicationContext>): Promise<number>;
}

@Module({ imports: [...CORE_IMPORTS, AdminModule, OidcClientsModule] })
class CliModule {}

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`--${name} is required`);
  return value;
}

/** Domain services use the request-scoped EntityManager; a CLI command is one "request". */
function inRequestContext<T>(app: INestApplicationContext, work: () => Promise<T>): Promise<T> {
  return RequestContext.create(app.get(MikroORM).em, work);
}

async function findUserByEmail(app: INestApplicationContext, flags: Flags): Promise<User> {
  const tenantId = typeof flags.tenant === 'string' ? flags.tenant : DEFAULT_TENANT_ID;
  const given = required(flags, 'email');
  const email = canonicalEmail(given);
  if (email === undefined) throw new Error(`--email ${JSON.stringify(given)} is not an email address`);
  const user = await app.get(UsersService).findByEmail(tenantId, email);
  if (!user) throw new Error(`no user ${email} in tenant ${tenantId}`);
  return user;
}

export const COMMANDS: Record<string, Command> = {
  'db:prepare': {
    summary: 'Create the database if missing and apply pending migrations (what `npm start` runs first)',
    async run() {
      if (await ensureDatabaseExists()) console.log('database created');
      const applied = await migrateUp();
      console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
      return 0;
    },
  },
  'migration:up': {
    summary: 'Apply pending migrations (a deploy step; the API and worker never migrate)',
    async run() {
      const applied = await migrateUp();
      console.log(applied.length ? `migrations applied: ${applied.join(', ')}` : 'migrations: up to date');
      return 0;
    },
  },
  'migration:create': {
    summary: 'Write a migration for the difference between the entities and the last snapshot',
    usage: '[--blank]',
    async run(flags) {
      const file = await createMigration(flags.blank === true);
      console.log(file ? `created migrations/${file}` : 'no changes: no migration needed');
      return 0;
    },
  },
  'migration:check': {
    summary: 'Fail when an entity changed without a migration',
    async run() {
      if (await migrationNeeded()) {
        console.error('entities differ from the migrations: run `npm run migration:create`');
        return 1;
      }
      console.log('migrations match the entities');
      return 0;
    },
  },
  'create-tenant': {
    summary: 'Create a tenant (store, organisation)',
    usage: '--id <id> --name <name>',
    async run(flags, _positional, context) {
      const app = await context();
      const tenant = await app.get(TenantsService).create(required(flags, 'id'), required(flags, 'name'));
      await app
        .get(AuditService)
        .record({ type: 'tenant.created', outcome: 'success', tenantId: tenant.id, data: { name: tenant.name } });
      console.log(`tenant ${tenant.id} created`);
      return 0;
    },
  },
  'grant-role': {
    summary: 'Give a user a role (user, support, auditor, admin); their live sessions follow at once',
    usage: '--email <email> --role <role> [--tenant <id>] (default tenant: default)',
    async run(flags, _positional, context) {
      const role = required(flags, 'role');
      if (!(ROLES as readonly string[]).includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const app = await context();
      return inRequestContext(app, async () => {
        const user = await findUserByEmail(app, flags);
        await app
          .get(AdminUsersService)
          .changeRoles({ actorId: null, via: 'cli' }, user, [...user.roles, role as Role]);
        console.log(`${user.email} (${user.tenantId}) now has roles: ${user.roles.join(', ')}`);
        return 0;
      });
    },
  },
  'grant-platform-admin': {
    summary: 'Make a user a platform admin: role admin, with reach across every tenant (?tenantId=)',
    usage: '--email <email> [--tenant <id>]',
    async run(flags, _positional, context) {
      const app = await context();
      return inRequestContext(app, async () => {
        const user = await findUserByEmail(app, flags);
        await app.get(AdminUsersService).grantPlatformAdmin({ actorId: null, via: 'cli' }, user);
        console.log(`${user.email} (${user.tenantId}) is now a platform admin`);
        return 0;
      });
    },
  },
  'disable-tenant': {
    summary: 'Disable a tenant: its users can no longer sign in and every session of it is revoked',
    usage: '--id <id>',
    async run(flags, _positional, context) {
      const app = await context();
      return inRequestContext(app, async () => {
        const { revoked } = await app.get(AdminTenantsService).disable(required(flags, 'id'));
        console.log(`tenant ${required(flags, 'id')} disabled, ${revoked} sessions revoked`);
        return 0;
      });
    },
  },
  'enable-tenant': {
    summary: 'Enable a disabled tenant again',
    usage: '--id <id>',
    async run(flags, _positional, context) {
      const app = await context();
      return inRequestContext(app, async () => {
        await app.get(AdminTenantsService).enable(required(flags, 'id'));
        console.log(`tenant ${required(flags, 'id')} enabled`);
        return 0;
      });
    },
  },
  'set-tenant-settings': {
    summary:
      'Set tenant policy (allowedOtpChannels, passwordMinLength, accessTokenTtl, refreshTokenTtl, sessionIdleTtl, mfaRequired, captcha, smsCountries, newPlacePolicy) and branding (displayName, logoUrl, primaryColor, locale)',
    usage: `--id <id> --json '{"passwordMinLength":15}' [--replace] (merged into the current settings unless --replace)`,
    async run(flags, _positional, context) {
      let input: unknown;
      try {
        input = JSON.parse(required(flags, 'json'));
      } catch (error) {
        throw new Error(`--json is not valid JSON: ${(error as Error).message}`);
      }
      const settings = parseTenantSettings(input);
      const app = await context();
      return inRequestContext(app, async () => {
        const tenant = await app
          .get(AdminTenantsService)
          .setSettings(required(flags, 'id'), settings, flags.replace === true)
          .catch((error: unknown) => {
            if (!(error instanceof AppException) || !error.details) throw error;
            throw new Error(`invalid settings: ${error.details.map((d) => `${d.field}: ${d.message}`).join('; ')}`);
          });
        console.log(`tenant ${tenant.id} settings: ${JSON.stringify(tenant.settings)}`);
        return 0;
      });
    },
  },
  'prune-audit': {
    summary: 'Delete audit events older than AUDIT_RETENTION_DAYS (what the daily worker job runs)',
    usage: '[--days <n>] (default AUDIT_RETENTION_DAYS)',
    async run(flags, _positional, context) {
      const days = flags.days === undefined ? undefined : Number(flags.days);
      if (days !== undefined && (!Number.isInteger(days) || days < 1))
        throw new Error('--days must be a positive integer');
      const app = await context();
      const { deleted, cutoff } = await app.get(AuditRetentionService).prune(days);
      console.log(`${deleted} audit events older than ${cutoff.toISOString()} deleted`);
      return 0;
    },
  },
  'create-client': {
    summary: 'Register an OIDC client of a tenant; prints it as JSON, with its secret (shown this once)',
    usage:
      '--tenant <id> --name <n> --redirect-uri <uri>[,<uri>…] [--public] [--first-party] ' +
      '[--post-logout-redirect-uri <uri>[,…]] [--backchannel-logout-uri <uri>] [--grant-types a,b]',
    async run(flags, _positional, context) {
      const list = (name: string) => {
        const value = flags[name];
        return typeof value === 'string'
          ? value
              .split(',')
              .map((item) => item.trim())
              .filter(Boolean)
          : undefined;
      };
      const tenantId = typeof flags.tenant === 'string' ? flags.tenant : DEFAULT_TENANT_ID;
      const app = await context();
      return inRequestContext(app, async () => {
        await app.get(TenantsService).resolveActive(tenantId);
        const client = await app
          .get(OidcClients)
          .create(tenantId, {
            name: required(flags, 'name'),
            redirectUris: list('redirect-uri') ?? [],
            postLogoutRedirectUris: list('post-logout-redirect-uri'),
            grantTypes: list('grant-types') as OidcGrantType[] | undefined,
            public: flags.public === true,
            firstParty: flags['first-party'] === true,
            backchannelLogoutUri:
              typeof flags['backchannel-logout-uri'] === 'string' ? flags['backchannel-logout-uri'] : undefined,
          })
          .catch((error: unknown) => {
            if (!(error instanceof AppException) || !error.details) throw error;
            throw new Error(`invalid client: ${error.details.map((d) => `${d.field}: ${d.message}`).join('; ')}`);
          });
        console.log(JSON.stringify(client, null, 2));
        return 0;
      });
    },
  },
  'rotate-keys': {
    summary: 'New access-token signing key; the old one verifies until its tokens expire',
    run: (_flags, _positional, context) => rotateKeysCommand(context),
  },
  'revoke-sessions': {
    summary: 'Revoke every live session of a user',
    usage: '--email <email> [--tenant <id>]',
    run: (flags, _positional, context) => revokeSessionsCommand(required(flags, 'email'), flags.tenant, context),
  },
  openapi: {
    summary: 'Write the OpenAPI document generated from the code',
    usage: '[file] (default openapi.json)',
    async run(_flags, positional) {
      const app = await createApp({ withWorker: false });
      try {
        await app.init();
        const document = buildOpenApiDocument(app);
        await writeFile(positional[0] ?? 'openapi.json', JSON.stringify(document, null, 2) + '\n');
        console.log(`wrote ${positional[0] ?? 'openapi.json'}`);
      } finally {
        await app.close();
      }
      return 0;
    },
  },
};

/**
 * `--name value` and `--name=value` give strings; a flag followed by another flag (or by
 * nothing) is `true`. (util.parseArgs without declared options reads `--id x` as a boolean.)
 */
export function parseFlags(args: string[]): { values: Flags; positionals: string[] } {
  const values: Flags = {};
  const positionals: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith('--') || arg === '--') {
      if (arg !== '--') positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    if (equals > 0) {
      values[arg.slice(2, equals)] = arg.slice(equals + 1);
    } else if (index + 1 < args.length && !args[index + 1].startsWith('--')) {
      values[arg.slice(2)] = args[++index];
    } else {
      values[arg.slice(2)] = true;
    }
  }
  return { values, positionals };
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    console.log('usage: npm run cli -- <command> [flags]\n');
    for (const [key, { summary, usage }] of Object.entries(COMMANDS)) {
      console.log(`  ${key}${usage ? ' ' + usage : ''}\n      ${summary}`);
    }
    return name ? 1 : 0;
  }
  validateConfiguration();
  const { values, positionals } = parseFlags(rest);
  let app: INestApplicationContext | undefined;
  const context = async () =>
    (app ??= await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] }));
  try {
    return await command.run(values, positionals, context);
  } finally {
    await app?.close();
  }
}
