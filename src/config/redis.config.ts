import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader } from './env-reader';

export interface RedisAddress {
  host: string;
  port: number;
}

/** Where Redis is: one server (REDIS_URL), a Redis Cluster, or a master found through Sentinel. */
export type RedisTopology =
  | { kind: 'single' }
  | { kind: 'cluster'; nodes: RedisAddress[] }
  | { kind: 'sentinel'; sentinels: RedisAddress[]; masterName: string };

export const redisConfig = registerAs('redis', () => {
  const env = new EnvReader();
  return {
    /** The server itself, or (cluster, Sentinel) the credentials, TLS and database used on every node. */
    url: env.url('REDIS_URL', 'redis://127.0.0.1:6379'),
    topology: redisTopology(env),
    prefix: env.string('REDIS_PREFIX', 'sa:'),
    /** A command that has not answered by then fails, so a dead link becomes a 503, not a hang. */
    commandTimeoutMs: env.int('REDIS_COMMAND_TIMEOUT_MS', 1500, { min: 50 }),
  };
});

export type RedisConfig = ReturnType<typeof redisConfig>;

function redisTopology(env: EnvReader): RedisTopology {
  const clusterNodes = env.list('REDIS_CLUSTER_NODES', []);
  const sentinels = env.list('REDIS_SENTINELS', []);
  if (clusterNodes.length > 0 && sentinels.length > 0) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'and REDIS_SENTINELS exclude each other: set one of them');
  }
  if (clusterNodes.length > 0) {
    return { kind: 'cluster', nodes: clusterNodes.map((item) => redisAddress('REDIS_CLUSTER_NODES', item)) };
  }
  if (sentinels.length > 0) {
    const masterName = env.optional('REDIS_SENTINEL_NAME');
    if (!masterName)
      throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the master group name)');
    return { kind: 'sentinel', sentinels: sentinels.map((item) => redisAddress('REDIS_SENTINELS', item)), masterName };
  }
  if (env.optional('REDIS_SENTINEL_NAME')) {
    throw new ConfigError('REDIS_SENTINEL_NAME', 'needs REDIS_SENTINELS (the Sentinel addresses)');
  }
  return { kind: 'single' };
}

/** `host:port`, `[v6]:port` or a bare host (port 6379; Sentinels default to 26379). */
function redisAddress(variable: string, item: string): RedisAddress {
  let url: URL;
  try {
    url = new URL(`redis://${item}`);
  } catch {
    throw new ConfigError(variable, `holds "${item}", not host:port`);
  }
  if (url.pathname.length > 1 || url.username || url.search) {
    throw new ConfigError(variable, `holds "${item}", not host:port`);
  }
  const fallbackPort = variable === 'REDIS_SENTINELS' ? 26379 : 6379;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || fallbackPort) };
}
