import type { RedisOptions as BullRedisOptions } from 'bullmq';
import Redis, { type Command, type RedisOptions } from 'ioredis';
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

export async function createServiceRedis(config: RedisConfig): Promise<Redis> {
  const client = new Redis(config.url, serviceRedisOptions(config));
  client.on('error', () => {
    // Errors surface on the commands that fail; the client keeps reconnecting by itself.
  });
  failFastAfterTimeouts(client, config.commandTimeoutMs);
  await client.connect();
  return client;
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

/** BullMQ wants its own connections without keyPrefix; it prefixes keys itself. */
export function bullConnectionOptions(config: RedisConfig, { worker }: { worker: boolean }): BullRedisOptions {
  const url = new URL(config.url);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // Workers must wait out an outage (BullMQ requires null); producers fail fast so the
    // request that enqueues answers 503 rather than hanging.
    maxRetriesPerRequest: worker ? null : 1,
    enableOfflineQueue: worker,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  };
}

export const bullPrefix = (config: RedisConfig): string => `${config.prefix}bull`;
