import type { ConnectionOptions as BullConnection, RedisOptions as BullRedisOptions } from 'bullmq';
import Redis, { Cluster, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import { DependencyUnavailableError } from '../errors/dependency-errors';
import type { RedisConfig } from '../../config/redis.config';

/**
 * Options for the service's own client. No offline queue and a command timeout: when
 * Redis is unreachable a command fails at once (503) instead of waiting for a reconnect,
 * and reconnection goes on in the background so the service recovers without a restart.
 */
export function serviceRedisOptions(config: RedisConfig): RedisOptions {
  return {
    keyPrefix: config.prefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: 2000,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    lazyConnect: true,
  };
}

/**
 * The service's client for whichever topology is configured. On a Redis Cluster it is an
 * ioredis `Cluster`, typed as `Redis`: both have the same command surface, and every key
 * the service writes is cluster-safe (several keys in one script, MGET or transaction share
 * a hash tag; pipelines only group keys of one slot, otherwise commands go one by one and
 * auto-pipelining groups them per node).
 */
export async function createServiceRedis(config: RedisConfig): Promise<Redis> {
  const client = connect(config, serviceRedisOptions(config));
  client.on('error', () => {
    // Errors surface on the commands that fail; the client keeps reconnecting by itself.
  });
  failFastAfterTimeouts(client, config.commandTimeoutMs);
  await client.connect();
  return client;
}

function connect(config: RedisConfig, options: RedisOptions): Redis {
  const { topology } = config;
  if (topology.kind === 'single') return new Redis(config.url, options);
  const node = { ...nodeAuth(config.url), ...options };
  if (topology.kind === 'sentinel') {
    return new Redis({
      ...node,
      sentinels: topology.sentinels,
      name: topology.masterName,
      // A master demoted while we were connected answers READONLY: reconnect, Sentinel names the new one.
      reconnectOnError: (error) => error.message.startsWith('READONLY'),
    });
  }
  const { keyPrefix, enableOfflineQueue, enableAutoPipelining, lazyConnect, retryStrategy, ...perNode } = node;
  const clusterOptions: ClusterOptions = {
    keyPrefix,
    enableOfflineQueue,
    enableAutoPipelining,
    lazyConnect,
    clusterRetryStrategy: retryStrategy ?? undefined,
    redisOptions: perNode,
  };
  return new Cluster(topology.nodes, clusterOptions) as unknown as Redis;
}

/** Credentials, TLS and database from REDIS_URL, applied to every node of a cluster or Sentinel set. */
function nodeAuth(url: string): Pick<RedisOptions, 'username' | 'password' | 'tls' | 'db'> {
  const parsed = new URL(url);
  return {
    username: parsed.username || undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
  };
}

/**
 * A silent partition (no reset, no answers) costs one command timeout; without a latch every
 * later command of the same request would wait its own timeout too, and a login with three
 * Redis steps would take three timeouts to answer 503. After a timeout, commands fail at once
 * for a short while; the first one after that probes the link again.
 */
function failFastAfterTimeouts(client: Redis, timeoutMs: number): void {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  let openUntil = 0;
  client.sendCommand = (command: Command, ...rest: unknown[]) => {
    if (Date.now() < openUntil) {
      command.reject(new DependencyUnavailableError('redis'));
      return command.promise;
    }
    command.promise.catch((error: unknown) => {
      if (error instanceof Error && error.message === 'Command timed out') openUntil = Date.now() + timeoutMs;
    });
    return send(command, ...rest);
  };
}

/**
 * BullMQ's connection, without keyPrefix (it prefixes keys itself, see bullPrefix). Options
 * for one server or Sentinel, with which BullMQ connects by itself; on a cluster a `Cluster`
 * of our own, which BullMQ shares and never closes: whoever asked for it disconnects it
 * after closing its queues or workers (closeBullConnection).
 */
export function bullConnection(config: RedisConfig, { worker }: { worker: boolean }): BullConnection {
  const options: BullRedisOptions = {
    // Workers must wait out an outage (BullMQ requires null); producers fail fast so the
    // request that enqueues answers 503 rather than hanging.
    maxRetriesPerRequest: worker ? null : 1,
    enableOfflineQueue: worker,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
  const { topology } = config;
  if (topology.kind === 'single') {
    const url = new URL(config.url);
    return { host: url.hostname, port: Number(url.port || 6379), ...nodeAuth(config.url), ...options };
  }
  if (topology.kind === 'sentinel') {
    return { ...nodeAuth(config.url), ...options, sentinels: topology.sentinels, name: topology.masterName };
  }
  const { retryStrategy, enableOfflineQueue, ...perNode } = options;
  return new Cluster(topology.nodes, {
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    redisOptions: { ...nodeAuth(config.url), db: undefined, ...(perNode as RedisOptions) },
  });
}

export async function closeBullConnection(connection: BullConnection): Promise<void> {
  if (connection instanceof Cluster) await connection.quit().catch(() => connection.disconnect());
}

/**
 * In braces: a hash tag, so that every key of every queue lands in one cluster slot, as
 * BullMQ's Lua scripts (which touch several keys of a queue) require on a Redis Cluster.
 */
export const bullPrefix = (config: RedisConfig): string => `{${config.prefix}bull}`;
