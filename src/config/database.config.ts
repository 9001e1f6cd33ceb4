import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const databaseConfig = registerAs('database', () => {
  const env = new EnvReader();
  return {
    url: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/secureauth'),
    poolMax: env.int('DATABASE_POOL_MAX', 10, { min: 1 }),
    debug: env.bool('DATABASE_DEBUG', false),
    statementTimeoutMs: env.int('DATABASE_STATEMENT_TIMEOUT_MS', 10_000, { min: 0 }),
    /**
     * Client-side wait for any one query. Request paths run short queries; a partitioned
     * PostgreSQL must become a 503 within 2 s. 0 disables it (long operator commands).
     */
    queryTimeoutMs: env.int('DATABASE_QUERY_TIMEOUT_MS', 1500, { min: 0 }),
    /**
     * Hot statements (database/prepared-statement.ts) as named prepared statements, planned once
     * per connection. false behind a transaction pooler that cannot carry them (PgBouncer before
     * 1.21, or its max_prepared_statements = 0): they then go unnamed, planned every time.
     */
    preparedStatements: env.bool('DATABASE_PREPARED_STATEMENTS', true),
  };
});

export type DatabaseConfig = ReturnType<typeof databaseConfig>;
