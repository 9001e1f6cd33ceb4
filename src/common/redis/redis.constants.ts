/** The shared ioredis client; every key it writes carries REDIS_PREFIX. */
export const REDIS = Symbol('REDIS');
