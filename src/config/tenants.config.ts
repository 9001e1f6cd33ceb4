import { registerAs } from '@nestjs/config';
import { EnvReader } from './env-reader';

export const tenantsConfig = registerAs('tenants', () => {
  const env = new EnvReader();
  return {
    /**
     * Tenant ids known not to exist, remembered so that a client repeating one does not cost a
     * query each time. Bounded in count and age: made-up ids must not grow the process.
     */
    negativeCacheSize: env.int('TENANT_NEGATIVE_CACHE_SIZE', 10_000, { min: 1, max: 1_000_000 }),
    negativeCacheTtlMs: env.int('TENANT_NEGATIVE_CACHE_TTL_MS', 5_000, { min: 1, max: 3_600_000 }),
  };
});

export type TenantsConfig = ReturnType<typeof tenantsConfig>;
