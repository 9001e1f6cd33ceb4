import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { keysMatching, testRedis } from '../support/test-redis';
import { startTestApp, type TestApp } from '../support/test-app';
import { createTenant } from '../support/factories';

const LIMIT = 3;
const METRICS_TOKEN = 'throttling-metrics-scraper-token-0123456789';
const wrongLogin = { email: 'nobody@example.com', password: 'not the password' };

/** Forgets every throttle counter of one app (each test starts with a full budget). */
async function resetThrottles(redis: Redis, prefix: string): Promise<void> {
  await Promise.all((await keysMatching(redis, `${prefix}throttle:*`)).map((key) => redis.del(key)));
}

function rateLimitHeaders(headers: Headers) {
  return {
    limit: headers.get('ratelimit-limit'),
    remaining: headers.get('ratelimit-remaining'),
    reset: headers.get('ratelimit-reset'),
  };
}

describe('throttling', () => {
  let redis: Redis;

  beforeAll(async () => {
    redis = await testRedis();
  });
  afterAll(() => redis.quit());

  describe('auth routes', () => {
    let first: TestApp;
    let second: TestApp;

    beforeAll(async () => {
      const env = { THROTTLE_AUTH_LIMIT: String(LIMIT), THROTTLE_AUTH_TTL: '60', LOGIN_MAX_FAILURES: '1000' };
      first = await startTestApp(env);
      second = await startTestApp(env, first.resources);
    });
    afterAll(async () => {
      await second?.close();
      await first?.close();
    });
    beforeEach(() => resetThrottles(redis, first.resources.redisPrefix));

    it('should count down RateLimit-* headers and then answer 429 TOO_MANY_REQUESTS with Retry-After', async () => {
      for (let i = 1; i <= LIMIT; i++) {
        const response = await first.http.post('/api/auth/login', wrongLogin);
        expect(response.status).toBe(401);
        expect(rateLimitHeaders(response.headers)).toEqual({
          limit: String(LIMIT),
          remaining: String(LIMIT - i),
          reset: expect.stringMatching(/^\d+$/),
        });
        expect(response.headers.get('x-ratelimit-limit')).toBeNull();
      }
      const throttled = await first.http.post('/api/auth/login', wrongLogin);
      expect(throttled.status).toBe(429);
      expect(throttled.body).toEqual({
        statusCode: 429,
        code: 'TOO_MANY_REQUESTS',
        error: 'Too many requests',
        requestId: throttled.headers.get('x-request-id'),
      });
      const retryAfter = Number(throttled.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(throttled.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(throttled.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    });

    it('should not run the handler of a throttled request (no password check, no audit)', async () => {
      for (let i = 0; i < LIMIT; i++) await first.http.post('/api/auth/login', wrongLogin);
      const throttled = await first.http.post('/api/auth/login', { email: 'not-an-email', password: 'x' });
      // Validation would answer 400: the throttle answered before the body was even looked at.
      expect(throttled.status).toBe(429);
    });

    it('should keep a separate auth budget per route', async () => {
      for (let i = 0; i < LIMIT; i++) await first.http.post('/api/auth/login', wrongLogin);
      expect((await first.http.post('/api/auth/login', wrongLogin)).status).toBe(429);
      const other = await first.http.post('/api/auth/password/forgot', { email: 'someone@example.com' });
      expect(other.status).toBe(202);
      expect(other.headers.get('ratelimit-remaining')).toBe(String(LIMIT - 1));
    });

    it('should share one budget between two app instances on the same Redis', async () => {
      expect((await first.http.post('/api/auth/login', wrongLogin)).status).toBe(401);
      expect((await second.http.post('/api/auth/login', wrongLogin)).status).toBe(401);
      expect((await first.http.post('/api/auth/login', wrongLogin)).status).toBe(401);
      const throttled = await second.http.post('/api/auth/login', wrongLogin);
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('should keep the counters in Redis, not in process memory', async () => {
      await first.http.post('/api/auth/login', wrongLogin);
      const keys = await keysMatching(redis, `${first.resources.redisPrefix}throttle:*`);
      expect(keys).toEqual(
        expect.arrayContaining([
          `${first.resources.redisPrefix}throttle:{auth:PasswordAuthController.login:127.0.0.1}:hits`,
        ]),
      );
    });

    it('should not give a fresh budget to a spoofed X-Forwarded-For from an untrusted peer', async () => {
      for (let i = 0; i < LIMIT; i++) {
        const response = await first.http.post('/api/auth/login', wrongLogin, {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
        });
        expect(response.status).toBe(401);
      }
      const spoofed = await first.http.post('/api/auth/login', wrongLogin, {
        headers: { 'x-forwarded-for': '203.0.113.250' },
      });
      expect(spoofed.status).toBe(429);
    });
  });

  describe('behind a trusted proxy (TRUST_PROXY)', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startTestApp({ THROTTLE_AUTH_LIMIT: '1', TRUST_PROXY: '127.0.0.1' });
    });
    afterAll(() => sut?.close());

    it('should budget each client address the proxy reports separately', async () => {
      const client = (ip: string) => sut.http.fork({ 'x-forwarded-for': ip });
      expect((await client('198.51.100.1').post('/api/auth/login', wrongLogin)).status).toBe(401);
      expect((await client('198.51.100.1').post('/api/auth/login', wrongLogin)).status).toBe(429);
      expect((await client('198.51.100.2').post('/api/auth/login', wrongLogin)).status).toBe(401);
    });
  });

  describe('the default budget', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startTestApp({ THROTTLE_DEFAULT_LIMIT: '4', THROTTLE_AUTH_LIMIT: '1000', METRICS_TOKEN });
    });
    afterAll(() => sut?.close());
    beforeEach(() => resetThrottles(redis, sut.resources.redisPrefix));

    it('should limit every route per IP, across routes', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) {
        statuses.push((await sut.http.post('/api/auth/password/forgot', { email: 'a@example.com' })).status);
        statuses.push((await sut.http.post('/api/auth/email/resend', { email: 'a@example.com' })).status);
      }
      expect(statuses).toEqual([202, 202, 202, 202]);
      const throttled = await sut.http.post('/api/auth/password/forgot', { email: 'a@example.com' });
      expect(throttled.status).toBe(429);
      expect(throttled.body.code).toBe('TOO_MANY_REQUESTS');
      expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('should hold the OpenID Connect endpoints to the same per-IP budget', async () => {
      const discovery = '/oidc/default/.well-known/openid-configuration';
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await sut.http.get(discovery)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      const throttled = await sut.http.post('/oidc/default/token', undefined);
      expect(throttled.status).toBe(429);
      expect(throttled.body.code).toBe('TOO_MANY_REQUESTS');
      expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
    });

    it('should report the budget closest to running out in the RateLimit-* headers', async () => {
      const response = await sut.http.post('/api/auth/password/forgot', { email: 'a@example.com' });
      expect(rateLimitHeaders(response.headers)).toMatchObject({ limit: '4', remaining: '3' });
    });

    it('should exempt health, metrics and docs', async () => {
      for (let i = 0; i < 6; i++) {
        for (const path of ['/health/live', '/health/ready', '/metrics', '/docs-json']) {
          const response = await sut.http.get(path, path === '/metrics' ? { token: METRICS_TOKEN } : {});
          expect(response.status).toBe(200);
          expect(response.headers.get('ratelimit-limit')).toBeNull();
        }
      }
    });
  });

  describe('made-up tenants (X-Tenant-Id)', () => {
    const NEGATIVE_CACHE_SIZE = 20;
    let sut: TestApp;
    const madeUpTenant = () => `made-up-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      sut = await startTestApp({
        THROTTLE_AUTH_LIMIT: String(LIMIT),
        THROTTLE_DEFAULT_LIMIT: '1000',
        TENANT_NEGATIVE_CACHE_SIZE: String(NEGATIVE_CACHE_SIZE),
        TENANT_NEGATIVE_CACHE_TTL_MS: '60000',
      });
    });
    afterAll(() => sut?.close());
    beforeEach(() => resetThrottles(redis, sut.resources.redisPrefix));

    it('should throttle logins from one IP however many tenants it makes up', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 3; i++) {
        const response = await sut.http.post('/api/auth/login', wrongLogin, {
          headers: { 'x-tenant-id': madeUpTenant() },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([...Array<number>(LIMIT).fill(400), 429, 429, 429]);
    });

    it('should forget the oldest unknown tenants once TENANT_NEGATIVE_CACHE_SIZE are remembered', async () => {
      const first = madeUpTenant();
      const history = (tenantId: string) => sut.http.get('/api/auth/history', { headers: { 'x-tenant-id': tenantId } });
      expect((await history(first)).body.code).toBe('TENANT_UNKNOWN');
      for (let i = 0; i < NEGATIVE_CACHE_SIZE; i++) expect((await history(madeUpTenant())).status).toBe(400);
      // Created behind the service's back (no invalidation): only a fresh lookup can find it.
      await createTenant(sut, first);
      const again = await history(first);
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('UNAUTHORIZED');
    });

    it('should remember an unknown tenant for TENANT_NEGATIVE_CACHE_TTL_MS, so repeating it costs no query', async () => {
      const tenantId = madeUpTenant();
      const history = () => sut.http.get('/api/auth/history', { headers: { 'x-tenant-id': tenantId } });
      expect((await history()).body.code).toBe('TENANT_UNKNOWN');
      await createTenant(sut, tenantId);
      expect((await history()).body.code).toBe('TENANT_UNKNOWN');
    });
  });

  describe('with THROTTLE_ENABLED=false', () => {
    let sut: TestApp;

    beforeAll(async () => {
      sut = await startTestApp({ THROTTLE_ENABLED: 'false', THROTTLE_AUTH_LIMIT: '1', THROTTLE_DEFAULT_LIMIT: '1' });
    });
    afterAll(() => sut?.close());

    it('should not throttle at all', async () => {
      for (let i = 0; i < 3; i++) {
        const response = await sut.http.post('/api/auth/password/forgot', { email: 'a@example.com' });
        expect(response.status).toBe(202);
        expect(response.headers.get('ratelimit-limit')).toBeNull();
      }
    });
  });
});
