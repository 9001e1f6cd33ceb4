import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const redisConfig = registerAs('redis', () => {
  const env = new EnvReader();
  return {
    url: env.url('REDIS_URL', 'redis://127.0.0.1:6379'),
    prefix: env.string('REDIS_PREFIX', 'sa:'),
    /** A command that has not answered by then fails, so a dead link becomes a 503, not a hang. */
    commandTimeoutMs: env.int('REDIS_COMMAND_TIMEOUT_MS', 1500, { min: 50 }),
  };
});

export type RedisConfig = ReturnType<typeof redisConfig>;
