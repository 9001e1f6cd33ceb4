import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { defineConfig, type Options } from '@mikro-orm/postgresql';
import { resolve } from 'node:path';
import { databaseConfig, type DatabaseConfig } from '../config/database.config';
import { ENTITIES } from './entities';

/** True when this file runs as compiled JavaScript from dist/, false under ts-jest/swc. */
const isCompiled = __filename.endsWith('.js');
export const PROJECT_ROOT = isCompiled ? resolve(__dirname, '../../..') : resolve(__dirname, '../..');
/** Where migration sources live; new migrations are written here, in TypeScript. */
export const MIGRATIONS_SOURCE_DIR = resolve(PROJECT_ROOT, 'migrations');

/**
 * One ORM configuration shared by the app, the worker, the CLI and the tests. The migrator is
 * not in it: it loads umzug and its CLI toolkit (~0.3 s of every API start), and only
 * database-admin.ts (db:prepare, migration:*) and the mikro-orm CLI add it.
 */
export function createOrmOptions(db: DatabaseConfig = databaseConfig()): Options {
  return defineConfig({
    clientUrl: db.url,
    entities: ENTITIES,
    // The entities use legacy decorators; their column types come from TypeScript's emitted metadata.
    metadataProvider: ReflectMetadataProvider,
    discovery: { warnWhenNoEntities: true },
    debug: db.debug,
    pool: { min: 0, max: db.poolMax },
    // Client-side timeouts turn a silent network partition into a 503 instead of a hang. These are
    // pg Pool options (MikroORM 7 hands driverOptions to pg); connectionTimeoutMillis bounds both
    // the wait for a pooled connection and a new connection's handshake.
    driverOptions: {
      connectionTimeoutMillis: 2000,
      statement_timeout: db.statementTimeoutMs,
      ...(db.queryTimeoutMs > 0 ? { query_timeout: db.queryTimeoutMs } : {}),
    },
    allowGlobalContext: false,
    metadataCache: { enabled: false },
    forceUtcTimezone: true,
    // Compiled runs read dist/migrations/*.js; tests (TypeScript) read the sources. New
    // migrations and the snapshot are always written to the sources (emit: 'ts' + pathTs).
    preferTs: !isCompiled,
    migrations: {
      tableName: 'mikro_orm_migrations',
      silent: true,
      path: resolve(PROJECT_ROOT, 'dist/migrations'),
      pathTs: MIGRATIONS_SOURCE_DIR,
      glob: isCompiled ? '!(*.d).js' : '!(*.d).ts',
      snapshotName: '.snapshot-secureauth',
      transactional: true,
      allOrNothing: true,
      snapshot: true,
      // The snapshot is what migration:create wrote from the entities. MikroORM 7 would otherwise
      // rewrite it from the migrated database after every run, hand-written SQL (foreign keys, the
      // partial queue index) included, and migration:check would then ask to drop all of it.
      snapshotOnMigrate: false,
      emit: 'ts',
    },
    // The audit log's append-only trigger and its function are written by hand in a migration, not
    // declared on the entities: the generator must never drop a trigger or routine.
    schemaGenerator: { disableForeignKeys: false, ignoreTriggers: true, ignoreRoutines: true },
  });
}
