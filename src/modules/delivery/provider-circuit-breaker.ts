import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { REDIS } from '../../common/redis/redis.constants';
import { deliveryConfig } from '../../config/delivery.config';

// KEYS: failures, open, probation, trial (one hash tag per provider: one slot on a cluster).
// A provider in probation (it was opened once) lets one trial through per trial period; the
// first worker to ask gets it, the others skip the provider meanwhile.
const CAN_SEND = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[3]) == 0 then return 1 end
if redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`;

// ARGV: failures to open, window ms, cooldown ms. A failed trial opens it again at once.
const RECORD_FAILURE = `
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[4])
  return 1
end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if failures >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('SET', KEYS[3], '1')
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/**
 * Per-provider circuit breaker in Redis, shared by every worker: a provider that failed
 * (temporarily: 5xx, timeouts, network) SMS_BREAKER_FAILURES times within SMS_BREAKER_WINDOW_MS
 * is skipped for SMS_BREAKER_COOLDOWN_MS; then one trial send at a time is let through, and its
 * success closes the breaker while its failure opens it again. Every step is one Lua script, so
 * concurrent workers never count or claim the trial twice.
 */
@Injectable()
export class ProviderCircuitBreaker {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
  ) {}

  async canSend(provider: string): Promise<boolean> {
    // A trial lasts as long as a send may take: a worker that died mid-trial frees it by then.
    return (await this.redis.eval(CAN_SEND, 4, ...this.keysOf(provider), this.config.providerTimeoutMs * 2)) === 1;
  }

  /** True when this failure opened (or reopened) the breaker. */
  async recordFailure(provider: string): Promise<boolean> {
    const { failures, windowMs, cooldownMs } = this.config.breaker;
    return (await this.redis.eval(RECORD_FAILURE, 4, ...this.keysOf(provider), failures, windowMs, cooldownMs)) === 1;
  }

  async recordSuccess(provider: string): Promise<void> {
    const [failures, , probation, trial] = this.keysOf(provider);
    await this.redis.del(failures, probation, trial);
  }

  async isOpen(provider: string): Promise<boolean> {
    return (await this.redis.exists(this.keysOf(provider)[1])) === 1;
  }

  private keysOf(provider: string): [string, string, string, string] {
    const tag = `{breaker:${provider}}`;
    return [`${tag}:failures`, `${tag}:open`, `${tag}:probation`, `${tag}:trial`];
  }
}
