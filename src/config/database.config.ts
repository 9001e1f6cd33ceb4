import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const databaseConfig = registerAs('database', () => {
  const env = new EnvReader();
  return {
    url: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/secureauth'),
    poolMax: env.int('DATABASE_POOL_MAX', 10, { min: 1 }),
    debug: env.bool('DATABASE_DEBUG', false),
  };
});

export type DatabaseConfig = ReturnType<typeof databaseConfig>;
