export * from './redis.constants';
export * from './redis.factory';
export * from './redis.module';
