import { Client } from 'pg';
import { ADMIN_DATABASE_URL, databasePrefix, redisPrefixOfRun, runId } from './test-env';
import { keysMatching, testRedis } from './test-redis';

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
  const redis = await testRedis();
  try {
    // The service's keys, and BullMQ's under its hash-tagged prefix `{<prefix>bull}`; one key
    // per UNLINK, since on a cluster the keys live in different slots.
    const prefix = redisPrefixOfRun(run);
    const keys = [...(await keysMatching(redis, `${prefix}*`)), ...(await keysMatching(redis, `{${prefix}*`))];
    await Promise.all(keys.map((key) => redis.unlink(key)));
  } finally {
    redis.disconnect();
  }
}
