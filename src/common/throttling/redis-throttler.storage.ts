import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.constants';

/**
 * One round trip per hit. KEYS[1] counts hits in a fixed window of ARGV[1] ms; KEYS[2] marks
 * a block of ARGV[3] ms once the count passes ARGV[2]. While blocked nothing is counted, so a
 * client hammering a blocked route does not extend its own punishment beyond the block.
 * Returns {hits, window ms left, blocked 0|1, block ms left}.
 */
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

export const THROTTLE_HIT_SCRIPT = `
local blockLeft = redis.call('PTTL', KEYS[2])
if blockLeft > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then left = blockLeft end
  return {hits, left, 1, blockLeft}
end
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  local block = tonumber(ARGV[3])
  if block < 1 then block = left end
  redis.call('SET', KEYS[2], '1', 'PX', block)
  return {hits, left, 1, block}
end
return {hits, left, 0, 0}
`;

/** The Redis keys of one throttler bucket (REDIS_PREFIX is added by the client). */
export function throttleKeys(throttlerName: string, key: string): [hits: string, block: string] {
  // The hash tag keeps both keys of a bucket in one slot should Redis ever be clustered.
  const base = `throttle:{${throttlerName}:${key}}`;
  return [`${base}:hits`, `${base}:block`];
}

/**
 * @nestjs/throttler storage in Redis: every API process shares the same counters, and a
 * restart forgets nothing (RUNTIME.md: nothing that decides a security outcome lives in one
 * process's memory). `ttl` and `blockDuration` arrive in milliseconds; times go back in seconds.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [hitsKey, blockKey] = throttleKeys(throttlerName, key);
    const [totalHits, windowLeftMs, blocked, blockLeftMs] = (await this.redis.eval(
      THROTTLE_HIT_SCRIPT,
      2,
      hitsKey,
      blockKey,
      Math.max(1, Math.ceil(ttl)),
      limit,
      Math.ceil(blockDuration),
    )) as [number, number, number, number];
    return {
      totalHits,
      timeToExpire: toSeconds(windowLeftMs),
      isBlocked: blocked === 1,
      timeToBlockExpire: blocked === 1 ? toSeconds(blockLeftMs) : 0,
    };
  }
}

const toSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
