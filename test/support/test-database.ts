import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  ADMIN_DATABASE_URL,
  databasePrefix,
  redisPrefixOfRun,
  runId,
  serviceDatabaseUrl,
  templateDatabaseName,
} from './test-env';

export interface TestResources {
  /** As the service reaches it (through PgBouncer in CI's pooled stage). */
  databaseUrl: string;
  databaseName: string;
  redisPrefix: string;
}

/**
 * A database of its own (a copy of the migrated template) and a Redis prefix of its own
 * for one test file. PostgreSQL refuses to copy a template while another copy is starting,
 * so a busy template is retried briefly.
 */
export async function createTestResources(): Promise<TestResources> {
  const run = runId();
  const suffix = randomBytes(4).toString('hex');
  const databaseName = `${databasePrefix(run)}${suffix}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${databaseName}" template "${templateDatabaseName(run)}"`);
        break;
      } catch (error) {
        const busy = error instanceof Error && /being accessed by other users/.test(error.message);
        if (!busy || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return {
    databaseUrl: serviceDatabaseUrl(databaseName),
    databaseName,
    redisPrefix: `${redisPrefixOfRun(run)}${suffix}:`,
  };
}
