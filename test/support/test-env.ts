/** Names shared by global setup, each test file and teardown, derived from one run id. */
export const ADMIN_DATABASE_URL = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function runId(): string {
  const id = process.env.SECUREAUTH_TEST_RUN;
  if (!id) throw new Error('SECUREAUTH_TEST_RUN is not set: run the tests through jest (global setup)');
  return id;
}

export const templateDatabaseName = (run: string) => `sa_test_${run}_tpl`;
export const databasePrefix = (run: string) => `sa_test_${run}_`;
export const redisPrefixOfRun = (run: string) => `sa-test:${run}:`;

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
