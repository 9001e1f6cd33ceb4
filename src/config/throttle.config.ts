import { registerAs } from '@nestjs/config';
import { ConfigError, configWarnings, EnvReader } from './env-reader';

export const throttleConfig = registerAs('throttle', () => {
  const env = new EnvReader();
  const enabled = env.bool('THROTTLE_ENABLED', true);
  if (!enabled && env.production && process.env.BENCHMARK !== 'true') {
    // Benchmarks run production mode without throttling; anything else must not.
    throw new ConfigError('THROTTLE_ENABLED', 'cannot be false in production outside benchmarks (set BENCHMARK=true)');
  }
  if (!enabled) configWarnings.add('THROTTLE_ENABLED=false: rate limits are off (benchmarks only)');
  return {
    enabled,
    authLimit: env.int('THROTTLE_AUTH_LIMIT', 10, { min: 1 }),
    authTtl: env.int('THROTTLE_AUTH_TTL', 60, { min: 1 }),
    defaultLimit: env.int('THROTTLE_DEFAULT_LIMIT', 600, { min: 1 }),
    defaultTtl: env.int('THROTTLE_DEFAULT_TTL', 60, { min: 1 }),
  };
});

export type ThrottleConfig = ReturnType<typeof throttleConfig>;
