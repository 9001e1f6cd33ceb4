import { Global, Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { throttleConfig } from '../../config/throttle.config';
import { REDIS } from '../redis/redis.constants';
import type Redis from 'ioredis';
import { AppThrottlerGuard, AUTH_THROTTLER, DEFAULT_THROTTLER } from './app-throttler.guard';
import { RateLimiter } from './rate-limiter';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/**
 * Per-IP throttling (the APP_GUARD AppThrottlerGuard, registered in AppModule after the
 * tenant guard) and the RateLimiter for per-account and per-destination caps. Both keep
 * their counters in Redis only.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [throttleConfig.KEY, REDIS],
      useFactory: (config: ConfigType<typeof throttleConfig>, redis: Redis) => ({
        storage: new RedisThrottlerStorage(redis),
        // The RFC draft headers are written by AppThrottlerGuard, not the X-RateLimit-* defaults.
        setHeaders: false,
        throttlers: [
          { name: DEFAULT_THROTTLER, limit: config.defaultLimit, ttl: config.defaultTtl * 1000 },
          { name: AUTH_THROTTLER, limit: config.authLimit, ttl: config.authTtl * 1000 },
        ],
      }),
    }),
  ],
  providers: [RateLimiter, AppThrottlerGuard],
  exports: [RateLimiter, AppThrottlerGuard],
})
export class ThrottlingModule {}
