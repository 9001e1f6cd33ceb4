/** Names shared by global setup, each test file and teardown, derived from one run id. */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/**
 * Where the service under test (and the tests' own queries) reach PostgreSQL: a pooler such as
 * PgBouncer when set (CI's PgBouncer stage), else PostgreSQL itself. Creating, copying and
 * dropping databases and migrating the template always go direct (ADMIN_DATABASE_URL).
 */
const POOLED_DATABASE_URL = process.env.TEST_POOLED_DATABASE_URL ?? ADMIN_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function runId(): string {
  const id = process.env.SECUREAUTH_TEST_RUN;
  if (!id) throw new Error('SECUREAUTH_TEST_RUN is not set: run the tests through jest (global setup)');
  return id;
}

export const templateDatabaseName = (run: string) => `sa_test_${run}_tpl`;
export const databasePrefix = (run: string) => `sa_test_${run}_`;
export const redisPrefixOfRun = (run: string) => `sa-test:${run}:`;

/** The database `name`, direct. */
export function databaseUrl(name: string): string {
  return withDatabase(ADMIN_DATABASE_URL, name);
}

/** The database `name` as the service reaches it: through the pooler when there is one. */
export function serviceDatabaseUrl(name: string): string {
  return withDatabase(POOLED_DATABASE_URL, name);
}

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}
