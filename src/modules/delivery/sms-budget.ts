import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type Redis from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { AppException } from '../../common/errors';
import { MetricsService } from '../../common/metrics/metrics.service';
import { REDIS } from '../../common/redis/redis.constants';
import { deliveryConfig } from '../../config/delivery.config';

const WINDOW_SECONDS = 3600;

/**
 * KEYS: the all-tenants counter, the calling code's counter (one hash tag: one slot on a cluster).
 * ARGV: global limit, calling-code limit, window s.
 * Returns {0, used globally, used by the calling code}, or {1, retryAfter} when the global
 * budget is spent, {2, retryAfter} when the calling code's is. Nothing is counted on a refusal.
 */
const SPEND_LUA = `
local function spent(key, limit)
  if tonumber(redis.call('GET', key) or '0') < limit then return nil end
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, ARGV[3]); ttl = tonumber(ARGV[3]) end
  return ttl
end
local global = spent(KEYS[1], tonumber(ARGV[1]))
if global then return {1, global} end
local country = spent(KEYS[2], tonumber(ARGV[2]))
if country then return {2, country} end
local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
local usedByCode = redis.call('INCR', KEYS[2])
if usedByCode == 1 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {0, used, usedByCode}
`;

/** Gives back a send that was counted but never made (refused by a later check, or not queued). */
const REFUND_LUA = `
for i = 1, 2 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
`;

const SPEND_SHA = createHash('sha1').update(SPEND_LUA).digest('hex');

/**
 * Hourly budgets of SMS and WhatsApp messages, in Redis so every API process spends the same
 * ones: SMS_HOURLY_BUDGET for the whole deployment, SMS_COUNTRY_HOURLY_BUDGET per country
 * calling code. A spent budget stops phone sends with 429 TOO_MANY_REQUESTS and counts in
 * `sms_budget_exhausted_total`, the metric an operator alerts on: when it moves, someone is
 * pumping SMS or the budget is too small for real traffic, and either needs a person.
 */
@Injectable()
export class SmsBudget {
  private readonly logger = new Logger(SmsBudget.name);
  private readonly exhausted: Counter<'scope' | 'calling_code'>;
  private readonly used: Gauge;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(deliveryConfig.KEY) private readonly config: ConfigType<typeof deliveryConfig>,
    metrics: MetricsService,
  ) {
    this.exhausted = new Counter({
      name: 'sms_budget_exhausted_total',
      help: 'Phone sends (SMS, WhatsApp) refused because an hourly budget was spent; alert on any increase',
      labelNames: ['scope', 'calling_code'] as const,
      registers: [metrics.registry],
    });
    this.used = new Gauge({
      name: 'sms_budget_used',
      help: 'Phone sends counted in the current hourly window of SMS_HOURLY_BUDGET, as last seen by this process',
      registers: [metrics.registry],
    });
  }

  /** Counts one phone send to `callingCode`; 429 TOO_MANY_REQUESTS (Retry-After) when a budget is spent. */
  async spend(callingCode: string): Promise<void> {
    const [status, value, usedByCode] = await this.run(callingCode);
    if (status !== 0) this.refuse(status, value, callingCode);
    this.used.set(value);
    if (value === this.config.smsHourlyBudget || usedByCode === this.config.smsCountryHourlyBudget) {
      const scope = value === this.config.smsHourlyBudget ? 'every country' : `calling code +${callingCode}`;
      this.logger.warn(`hourly SMS budget spent for ${scope}: phone sends refused until the window ends`);
    }
  }

  async refund(callingCode: string): Promise<void> {
    await this.redis.eval(REFUND_LUA, 2, ...this.keysOf(callingCode));
  }

  private refuse(status: number, retryAfter: number, callingCode: string): never {
    const global = status === 1;
    this.exhausted.labels(global ? 'global' : 'country', global ? 'all' : callingCode).inc();
    throw AppException.tooManyRequests(retryAfter);
  }

  private async run(callingCode: string): Promise<[number, number, number]> {
    const args = [
      ...this.keysOf(callingCode),
      this.config.smsHourlyBudget,
      this.config.smsCountryHourlyBudget,
      WINDOW_SECONDS,
    ];
    try {
      return (await this.redis.evalsha(SPEND_SHA, 2, ...args)) as [number, number, number];
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await this.redis.eval(SPEND_LUA, 2, ...args)) as [number, number, number];
    }
  }

  private keysOf(callingCode: string): [string, string] {
    return ['{sms-budget}:all', `{sms-budget}:cc:${callingCode}`];
  }
}
