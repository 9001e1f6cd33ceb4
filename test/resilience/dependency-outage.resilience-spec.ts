import type { HttpClient } from '../support/http-client';
import { eventually } from '../support/eventually';
import type { ServiceProcess } from '../support/service-process';
import type { TcpProxy } from '../support/tcp-proxy';
import { Deployment, expectErrorShape, timed } from './deployment';

/** API.md: "SERVICE_UNAVAILABLE 503: PostgreSQL or Redis unreachable; never fail open". */
const ANSWER_WITHIN_MS = 2000;
const RECOVER_WITHIN_MS = 5000;

describe('dependency outages (built API process behind TCP proxies)', () => {
  let deployment: Deployment;
  let api: ServiceProcess;
  let http: HttpClient;

  beforeAll(async () => {
    deployment = await Deployment.create();
    api = await deployment.start('api');
    http = api.http();
  });

  afterEach(async () => {
    await Promise.all([deployment.redisProxy.restore(), deployment.postgresProxy.restore()]);
    // Each test starts from a healthy service, whatever the previous one left behind.
    await eventually(
      'the service to be ready again',
      async () => ((await http.get('/health/ready')).status === 200 ? true : undefined),
      { retryErrors: true },
    );
  });

  afterAll(async () => {
    await deployment?.close();
  });

  /** Polls until the service answers like a healthy one again, then checks it never restarted. */
  async function expectRecovery(check: () => Promise<boolean>): Promise<number> {
    const pid = api.pid;
    const { ms } = await timed(() =>
      eventually('the service to recover', async () => ((await check()) ? true : undefined), {
        deadlineMs: RECOVER_WITHIN_MS,
        intervalMs: 50,
        retryErrors: true,
      }),
    );
    expect(api.isRunning).toBe(true);
    expect(api.pid).toBe(pid);
    return ms;
  }

  async function expectUnavailableFast(call: () => Promise<Parameters<typeof expectErrorShape>[0]>): Promise<void> {
    const { value: response, ms } = await timed(call);
    expectErrorShape(response, 503, 'SERVICE_UNAVAILABLE');
    expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
  }

  describe.each<{ name: string; proxy: () => TcpProxy; check: 'redis' | 'postgres' }>([
    { name: 'Redis', proxy: () => deployment.redisProxy, check: 'redis' },
    { name: 'PostgreSQL', proxy: () => deployment.postgresProxy, check: 'postgres' },
  ])('when the $name link is cut', ({ proxy, check }) => {
    it('should answer /health/ready 503 naming the dependency, and 200 again within 5 s of its return without a restart', async () => {
      expect((await http.get('/health/ready')).status).toBe(200);
      await proxy().cut();

      const { value: ready, ms } = await timed(() => http.get('/health/ready'));
      expect(ready.status).toBe(503);
      expect(ready.body.checks[check]).toBe('down');
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect((await http.get('/health/live')).status).toBe(200);

      await proxy().restore();
      await expectRecovery(async () => (await http.get('/health/ready')).status === 200);
    });

    it('should answer a login 503 SERVICE_UNAVAILABLE within 2 s, then log in again within 5 s of its return', async () => {
      const user = await deployment.signIn(http);
      await proxy().cut();

      await expectUnavailableFast(() =>
        http.post('/api/auth/login', { email: user.email, password: user.password, client: 'native' }),
      );

      await proxy().restore();
      await expectRecovery(async () => {
        const login = await http.post('/api/auth/login', {
          email: user.email,
          password: user.password,
          client: 'native',
        });
        return login.status === 200;
      });
    });

    it('should never hang: ten concurrent requests during the outage all answer within 2 s, none with a 500', async () => {
      const user = await deployment.signIn(http);
      await proxy().cut();

      const started = performance.now();
      const [me, logins] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, () => http.get('/api/auth/me', { token: user.accessToken }))),
        Promise.all(
          Array.from({ length: 5 }, () =>
            http.post('/api/auth/login', { email: user.email, password: user.password, client: 'native' }),
          ),
        ),
      ]);
      expect(performance.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
      for (const response of logins) expectErrorShape(response, 503, 'SERVICE_UNAVAILABLE');
      for (const response of me) {
        // Only PostgreSQL's absence may leave /me answerable (the live-session index is in Redis).
        if (check === 'postgres' && response.status === 200) continue;
        expectErrorShape(response, 503, 'SERVICE_UNAVAILABLE');
      }
    });
  });

  describe('when the Redis link is cut', () => {
    it('should answer an authenticated request 503 within 2 s (the live-session check cannot be skipped), and 200 again within 5 s', async () => {
      const user = await deployment.signIn(http);
      expect((await http.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
      await deployment.redisProxy.cut();

      await expectUnavailableFast(() => http.get('/api/auth/me', { token: user.accessToken }));

      await deployment.redisProxy.restore();
      await expectRecovery(async () => (await http.get('/api/auth/me', { token: user.accessToken })).status === 200);
    });

    it('should not answer 200 from any cache for a session revoked before the outage', async () => {
      const user = await deployment.signIn(http);
      // The token is verified (and its signature check cached) before the revocation.
      expect((await http.get('/api/auth/me', { token: user.accessToken })).status).toBe(200);
      expect((await http.post('/api/auth/logout', undefined, { token: user.accessToken })).status).toBe(204);
      await deployment.redisProxy.cut();

      await expectUnavailableFast(() => http.get('/api/auth/me', { token: user.accessToken }));

      await deployment.redisProxy.restore();
      await eventually(
        'Redis to be back',
        async () => ((await http.get('/health/ready')).status === 200 ? true : undefined),
        { retryErrors: true },
      );
      expectErrorShape(await http.get('/api/auth/me', { token: user.accessToken }), 401, 'UNAUTHORIZED');
    });
  });

  describe('when the PostgreSQL link is cut', () => {
    it('should answer an authenticated request 200 or 503 within 2 s, never a 500', async () => {
      const user = await deployment.signIn(http);
      await deployment.postgresProxy.cut();

      const { value: response, ms } = await timed(() => http.get('/api/auth/me', { token: user.accessToken }));
      expect(ms).toBeLessThan(ANSWER_WITHIN_MS);
      // /me may be served from the Redis live-session index alone; if it needs PostgreSQL it must say 503.
      if (response.status !== 200) expectErrorShape(response, 503, 'SERVICE_UNAVAILABLE');
    });
  });

  /**
   * A partition (packets dropped, no reset) is the harder fault: nothing tells the client the
   * link is gone, so only its own timeouts stop a request from hanging.
   */
  describe.each<{ name: string; proxy: () => TcpProxy }>([
    { name: 'Redis', proxy: () => deployment.redisProxy },
    { name: 'PostgreSQL', proxy: () => deployment.postgresProxy },
  ])('when the $name link silently drops every packet (partition)', ({ proxy }) => {
    it('should answer logins and authenticated requests 503 within 2 s, and recover within 5 s of the partition healing', async () => {
      const user = await deployment.signIn(http);
      proxy().partition();

      const [login, me, ready] = await Promise.all([
        timed(() => http.post('/api/auth/login', { email: user.email, password: user.password, client: 'native' })),
        timed(() => http.get('/api/auth/me', { token: user.accessToken })),
        timed(() => http.get('/health/ready')),
      ]);
      const slow = Object.entries({ login: login.ms, me: me.ms, ready: ready.ms })
        .filter(([, ms]) => ms >= ANSWER_WITHIN_MS)
        .map(([request, ms]) => `${request} answered after ${Math.round(ms)} ms`);
      // The service's own account of what it waited for, shown only when too slow.
      const diagnosis = slow.length > 0 ? api.logTail(6) : '';
      expect({ slow, diagnosis }).toEqual({ slow: [], diagnosis: '' });
      expectErrorShape(login.value, 503, 'SERVICE_UNAVAILABLE');
      if (proxy() === deployment.redisProxy || me.value.status !== 200) {
        expectErrorShape(me.value, 503, 'SERVICE_UNAVAILABLE');
      }
      expect(ready.value.status).toBe(503);

      await proxy().restore();
      await expectRecovery(async () => {
        const again = await http.post('/api/auth/login', {
          email: user.email,
          password: user.password,
          client: 'native',
        });
        return again.status === 200;
      });
    });
  });

  it('should not have answered any request with 500 INTERNAL during the outages', () => {
    const internal = api.jsonLogs().filter((line) => line.msg === 'unexpected error');
    expect(internal).toEqual([]);
  });
});
