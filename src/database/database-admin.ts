import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { createOrmOptions } from './mikro-orm.config';
import { databaseConfig } from '../config/database.config';

/** Creates the database named in DATABASE_URL when it does not exist yet. */
export async function ensureDatabaseExists(url = databaseConfig().url): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount) return false;
    await client.query(`create database "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

export async function withOrm<T>(work: (orm: MikroORM) => Promise<T>, url?: string): Promise<T> {
  // Migrations may legitimately run long: no client-side query timeout here.
  const options = createOrmOptions({ ...databaseConfig(), ...(url ? { url } : {}), queryTimeoutMs: 0 });
  const orm = await MikroORM.init({ ...options, extensions: [Migrator], allowGlobalContext: true });
  try {
    return await work(orm);
  } finally {
    await orm.close(true);
  }
}

export async function migrateUp(url?: string): Promise<string[]> {
  return withOrm(async (orm) => (await orm.migrator.up()).map((migration) => migration.name), url);
}

/** Writes a new TypeScript migration into migrations/ from the difference between entities and snapshot. */
export async function createMigration(blank = false): Promise<string | undefined> {
  return withOrm(async (orm) => {
    const result = await orm.migrator.create(undefined, blank);
    return result.fileName || undefined;
  });
}

/** True when the entities need a migration that does not exist yet. */
export async function migrationNeeded(): Promise<boolean> {
  return withOrm((orm) => orm.migrator.checkSchema());
}
