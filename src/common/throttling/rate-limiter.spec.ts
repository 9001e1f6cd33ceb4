import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { TEST_REDIS_URL } from '../../../test/support/test-env';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter.reserve', () => {
  let redis: Redis;
  let sut: RateLimiter;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { keyPrefix: `sa-test:unit:${randomBytes(4).toString('hex')}:` });
    sut = new RateLimiter(redis);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${redis.options.keyPrefix}*`);
    if (keys.length) await redis.del(...keys.map((key) => key.slice(String(redis.options.keyPrefix).length)));
    redis.disconnect();
  });

  it('should grant exactly `limit` places to a burst of concurrent callers', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => sut.reserve('burst', 10, 60)));
    expect(results.filter((result) => result.allowed)).toHaveLength(10);
    expect(await redis.get('burst')).toBe('10');
    const refused = results.find((result) => !result.allowed)!;
    expect(refused.resetSeconds).toBeGreaterThan(0);
    expect(refused.resetSeconds).toBeLessThanOrEqual(60);
  });

  it('should let a released place be taken again, once', async () => {
    for (let i = 0; i < 2; i++) expect((await sut.reserve('release', 2, 60)).allowed).toBe(true);
    expect((await sut.reserve('release', 2, 60)).allowed).toBe(false);
    await sut.release('release');
    expect((await sut.reserve('release', 2, 60)).allowed).toBe(true);
    expect((await sut.reserve('release', 2, 60)).allowed).toBe(false);
  });

  it('should not recreate an ended window when a place is given back', async () => {
    await sut.release('ended');
    expect(await redis.exists('ended')).toBe(0);
    expect((await sut.reserve('ended', 1, 60)).allowed).toBe(true);
  });
});
