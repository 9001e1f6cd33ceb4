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

// The place is counted first, then given back if it was the one too many: atomic, so two callers
// can never both take the last place.
const RESERVE_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]); ttl = tonumber(ARGV[2]) end
if count > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, count - 1, ttl}
end
return {1, count, ttl}
`;

// A window that ended meanwhile is not recreated (DECR would leave -1 there with no expiry).
const RELEASE_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return count
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

  /**
   * Takes one of the window's `limit` places before the work it guards, or refuses when none is
   * left. Reading the count first and counting after the work would let a burst of concurrent
   * callers all see room left; a refusal takes nothing, so the count never passes `limit`.
   */
  async reserve(key: string, limit: number, windowSeconds: number): Promise<RateLimitResult> {
    const [taken, count, ttl] = (await this.redis.eval(RESERVE_SCRIPT, 1, key, limit, windowSeconds)) as [
      number,
      number,
      number,
    ];
    return { allowed: taken === 1, count, limit, resetSeconds: Math.max(ttl, 1) };
  }

  /** Gives back a place taken by `reserve` whose work turned out not to count against the limit. */
  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, key);
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
