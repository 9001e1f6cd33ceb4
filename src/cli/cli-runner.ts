import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CORE_IMPORTS } from '../app.module';
import { buildOpenApiDocument, createApp } from '../bootstrap';
import { validateConfiguration } from '../config';
import { createMigration, ensureDatabaseExists, migrateUp, migrationNeeded } from '../database/database-admin';
import { AuditService } from '../modules/audit/audit.service';
import { TenantsService } from '../modules/tenants/tenants.service';

type Flags = Record<string, string | boolean | undefined>;

interface Command {
  summary: string;
  usage?: string;
  /** Commands that need the domain services get a Nest application context. */
  run(flags: Flags, positional: string[], context: () => Promise<INestApplicationContext>): Promise<number>;
}

@Module({ imports: [...CORE_IMPORTS] })
class CliModule {}

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`--${name} is required`);
  return value;
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
  const { values, positionals } = parseArgs({ args: rest, strict: false, allowPositionals: true });
  let app: INestApplicationContext | undefined;
  const context = async () =>
    (app ??= await NestFactory.createApplicationContext(CliModule, { logger: ['error', 'warn'] }));
  try {
    return await command.run(values, positionals, context);
  } finally {
    await app?.close();
  }
}
