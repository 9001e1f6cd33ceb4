import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.constants';

export interface RateLimitResult {
  allowed: boolean;
  /** Hits counted in the current window, including this one. */
  count: number;
  limit: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

// One round trip: count the hit and start the window on the first hit (fixed window).
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
`;

/**
 * Fixed-window counters in Redis, shared by every process: per-account login failures,
 * per-destination OTP caps, and anything else the spec limits. Keys are namespaced by the
 * caller (e.g. `rl:login-fail:<tenant>:<userId>`); REDIS_PREFIX is added by the client.
 */
@Injectable()
export class RateLimiter {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Counts one hit and says whether it is within `limit` per `windowSeconds`. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, key, windowSeconds)) as [number, number];
    return { allowed: count <= limit, count, limit, resetSeconds: Math.max(ttl, 1) };
  }

  /** Reads the window without counting (e.g. refuse early when an account is already locked). */
  async peek(key: string, limit: number): Promise<RateLimitResult> {
    const [count, ttl] = await Promise.all([this.redis.get(key), this.redis.ttl(key)]);
    const current = Number(count ?? 0);
    return { allowed: current < limit, count: current, limit, resetSeconds: Math.max(ttl, 1) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
