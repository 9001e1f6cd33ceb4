import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateUp } from '../../src/database/database-admin';
import { ADMIN_DATABASE_URL, databaseUrl, templateDatabaseName } from './test-env';

/** Migrations run once, into a template; each test file then copies it (cheap, isolated). */
export default async function globalSetup(): Promise<void> {
  const run = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  process.env.SECUREAUTH_TEST_RUN = run;
  const template = templateDatabaseName(run);
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database "${template}"`);
  } finally {
    await admin.end();
  }
  process.env.NODE_ENV = 'test';
  await migrateUp(databaseUrl(template));
  // MikroORM keeps entity metadata on globalThis; jest hands this global to in-band test
  // files, whose own copies of the entity classes would then clash with it.
  for (const key of Object.keys(globalThis)) {
    if (key.startsWith('mikro-orm-')) delete (globalThis as Record<string, unknown>)[key];
  }
}
