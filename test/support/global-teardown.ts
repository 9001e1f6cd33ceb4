import Redis from 'ioredis';
import { Client } from 'pg';
import { ADMIN_DATABASE_URL, databasePrefix, redisPrefixOfRun, runId, TEST_REDIS_URL } from './test-env';

/** Leaves the machine as it was: every database and Redis key of this run goes. */
export default async function globalTeardown(): Promise<void> {
  const run = runId();
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [
      `${databasePrefix(run)}%`,
    ]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await admin.end();
  }
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefixOfRun(run)}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
