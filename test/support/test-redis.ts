import Redis, { Cluster } from 'ioredis';
import { createServiceRedis } from '../../src/common/redis/redis.factory';
import { redisConfig } from '../../src/config/redis.config';
import { TEST_REDIS_URL } from './test-env';

/**
 * A client of the Redis the suites run against: one server, or the Cluster / Sentinel set
 * named by REDIS_CLUSTER_NODES / REDIS_SENTINELS (the CI runs the suites on each), built as
 * the service builds its own. No key prefix unless given.
 */
export function testRedis(prefix = ''): Promise<Redis> {
  return createServiceRedis({ ...redisConfig(), url: TEST_REDIS_URL, prefix });
}

/**
 * Full key names matching `pattern` (ioredis never prefixes a pattern), from every master of a
 * cluster: KEYS or SCAN on a cluster client asks one node only.
 */
export async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? (redis as Cluster).nodes('master') : [redis];
  const found: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}
