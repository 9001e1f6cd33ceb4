import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../../test/support/test-env';
import { randomBytes } from 'node:crypto';
import { isExemptPath, throttleKeyOf } from './app-throttler.guard';
import { RedisThrottlerStorage, throttleKeys } from './redis-throttler.storage';

describe('throttler keys', () => {
  it('should key the auth throttler by route and IP', () => {
    expect(throttleKeyOf('auth', 'PasswordAuthController.login', '203.0.113.7')).toBe(
      'PasswordAuthController.login:203.0.113.7',
    );
  });

  it('should key the default throttler by IP only, one budget across routes', () => {
    expect(throttleKeyOf('default', 'PasswordAuthController.login', '203.0.113.7')).toBe('203.0.113.7');
    expect(throttleKeyOf('default', 'SessionsController.me', '203.0.113.7')).toBe('203.0.113.7');
  });

  it('should keep both keys of a bucket under one hash tag', () => {
    expect(throttleKeys('auth', 'R.h:1.2.3.4')).toEqual([
      'throttle:{auth:R.h:1.2.3.4}:hits',
      'throttle:{auth:R.h:1.2.3.4}:block',
    ]);
  });

  it('should exempt health, metrics, docs and jwks but not API routes', () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/docs', '/docs-json', '/.well-known/jwks.json']) {
      expect(isExemptPath(path)).toBe(true);
    }
    for (const path of ['/api/auth/login', '/api/health/live', '/metricsx', '/api/docs', '/docsx', undefined]) {
      expect(isExemptPath(path)).toBe(false);
    }
  });
});

describe('RedisThrottlerStorage', () => {
  let redis: Redis;
  let sut: RedisThrottlerStorage;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, {
      keyPrefix: `sa-test:unit:${randomBytes(4).toString('hex')}:`,
    });
    sut = new RedisThrottlerStorage(redis);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${redis.options.keyPrefix}*`);
    if (keys.length) await redis.del(...keys.map((key) => key.slice(String(redis.options.keyPrefix).length)));
    redis.disconnect();
  });

  it('should count hits in the window and report the time left in seconds', async () => {
    const first = await sut.increment('count', 60_000, 3, 60_000, 'auth');
    const second = await sut.increment('count', 60_000, 3, 60_000, 'auth');
    expect(first).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    expect(second.totalHits).toBe(2);
    expect(second.timeToExpire).toBeGreaterThan(0);
    expect(second.timeToExpire).toBeLessThanOrEqual(60);
  });

  it('should block the hit past the limit for the block duration', async () => {
    for (let i = 0; i < 2; i++) expect((await sut.increment('block', 60_000, 2, 30_000, 'auth')).isBlocked).toBe(false);
    const blocked = await sut.increment('block', 60_000, 2, 30_000, 'auth');
    expect(blocked.isBlocked).toBe(true);
    expect(blocked.timeToBlockExpire).toBe(30);
    // Hits while blocked are not counted: the block does not extend itself.
    const again = await sut.increment('block', 60_000, 2, 30_000, 'auth');
    expect(again).toMatchObject({ isBlocked: true, totalHits: 3 });
  });

  it('should keep throttlers of the same key apart', async () => {
    await sut.increment('shared', 60_000, 1, 60_000, 'auth');
    expect((await sut.increment('shared', 60_000, 1, 60_000, 'default')).isBlocked).toBe(false);
  });

  it('should start a new window once the old one expires', async () => {
    await sut.increment('expiry', 50, 1, 50, 'auth');
    expect((await sut.increment('expiry', 50, 1, 50, 'auth')).isBlocked).toBe(true);
    const deadline = Date.now() + 2000;
    let record = await sut.increment('expiry', 50, 1, 50, 'auth');
    while (record.isBlocked && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      record = await sut.increment('expiry', 50, 1, 50, 'auth');
    }
    expect(record).toMatchObject({ isBlocked: false, totalHits: 1 });
  });
});
