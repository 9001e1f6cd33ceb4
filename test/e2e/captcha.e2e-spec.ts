import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Tenant } from '../../src/modules/tenants/tenant.entity';
import { TenantsService } from '../../src/modules/tenants/tenants.service';
import { CAPTCHA_TEST_SECRET, CaptchaTestServer } from '../support/captcha-test-server';
import { uniqueEmail, uniquePhone } from '../support/otp-test-helpers';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { WhatsappTestServer } from '../support/whatsapp-test-server';
import { cli, createTenant, tenantHeader } from './admin-support';
import { createUser } from '../support/factories';

const PASSWORD = 'correct horse battery staple';

/**
 * CAPTCHA on the four routes bots hammer (register, send-otp, forgot, login), as a tenant
 * setting. Every request here is a bot's: no token, a made-up one, a replayed one, or one sent
 * while the provider cannot be asked. None may reach the route; only a fresh, verified token does.
 */
describe('CAPTCHA (tenant setting captcha: "always")', () => {
  let captcha: CaptchaTestServer;
  let smtp: SmtpTestServer;
  let whatsapp: WhatsappTestServer;
  let sut: TestApp;
  let tenantId: string;
  let headers: Record<string, string>;

  beforeAll(async () => {
    [captcha, smtp, whatsapp] = await Promise.all([
      CaptchaTestServer.start(),
      SmtpTestServer.start(),
      WhatsappTestServer.start(),
    ]);
    sut = await startTestApp({
      ...captcha.env(),
      ...whatsapp.env(),
      SMTP_URL: smtp.url,
      THROTTLE_AUTH_LIMIT: '1000',
      CAPTCHA_TIMEOUT_MS: '500',
      TRUST_PROXY: '127.0.0.1',
    });
    tenantId = await createTenant(sut);
    await sut.app.get(TenantsService).updateSettings(tenantId, { captcha: 'always' });
    headers = tenantHeader(tenantId);
  });
  afterAll(async () => {
    await sut.close();
    await Promise.all([captcha.close(), smtp.close(), whatsapp.close()]);
  });

  /** A verified email account without a password: login reaches the route and fails there, with 401. */
  async function existingUser(tenant: string): Promise<string> {
    const email = uniqueEmail('captcha');
    await createUser(sut, { tenantId: tenant, email });
    return email;
  }

  /** The four protected routes, each with a body that would otherwise succeed (or fail on credentials). */
  const routes = (email: string) =>
    [
      ['/api/auth/register', { email: uniqueEmail('captcha-new'), password: PASSWORD }],
      ['/api/auth/send-otp', { phone: uniquePhone() }],
      ['/api/auth/password/forgot', { email }],
      ['/api/auth/login', { email, password: PASSWORD }],
    ] as const;

  it('should refuse each route without a captchaToken with 400 CAPTCHA_REQUIRED, before doing anything', async () => {
    const email = await existingUser(tenantId);
    for (const [path, body] of routes(email)) {
      const response = await sut.http.post(path, body, { headers });
      expect({ path, status: response.status, code: response.body.code }).toEqual({
        path,
        status: 400,
        code: 'CAPTCHA_REQUIRED',
      });
    }
    expect(smtp.mailsTo(email)).toHaveLength(0);
  });

  it('should refuse a made-up token, an empty one and a token of the wrong type with 400 CAPTCHA_REQUIRED', async () => {
    const email = await existingUser(tenantId);
    for (const captchaToken of [`0.${randomBytes(48).toString('base64url')}`, '', 42, ['x']]) {
      for (const [path, body] of routes(email)) {
        const response = await sut.http.post(path, { ...body, captchaToken }, { headers });
        expect({ path, captchaToken, status: response.status, code: response.body.code }).toEqual({
          path,
          captchaToken,
          status: 400,
          code: 'CAPTCHA_REQUIRED',
        });
      }
    }
    expect(smtp.mailsTo(email)).toHaveLength(0);
  });

  it('should let a solved token through, verified server-side with the secret and the client address', async () => {
    const email = await existingUser(tenantId);
    const before = captcha.requests.length;
    const token = captcha.solve();
    const next = smtp.nextCode(email);
    const response = await sut.http.post(
      '/api/auth/password/forgot',
      { email, captchaToken: token },
      { headers: { ...headers, 'x-forwarded-for': '198.51.100.77' } },
    );
    expect(response.status).toBe(202);
    await next;
    expect(captcha.requests.slice(before)).toEqual([
      {
        contentType: 'application/x-www-form-urlencoded',
        secret: CAPTCHA_TEST_SECRET,
        response: token,
        remoteip: '198.51.100.77',
      },
    ]);
  });

  it('should pass each of the four routes with a solved token', async () => {
    const email = await existingUser(tenantId);
    const statuses: Record<string, number> = {};
    for (const [path, body] of routes(email)) {
      statuses[path] = (await sut.http.post(path, { ...body, captchaToken: captcha.solve() }, { headers })).status;
    }
    // login fails on the password (the account has none): past the CAPTCHA, at the route itself.
    expect(statuses).toEqual({
      '/api/auth/register': 202,
      '/api/auth/send-otp': 202,
      '/api/auth/password/forgot': 202,
      '/api/auth/login': 401,
    });
  });

  it('should refuse a replayed token (single use at the provider) with 400 CAPTCHA_REQUIRED', async () => {
    const token = captcha.solve();
    const first = await sut.http.post('/api/auth/send-otp', { phone: uniquePhone(), captchaToken: token }, { headers });
    expect(first.status).toBe(202);
    const replay = await sut.http.post(
      '/api/auth/send-otp',
      { phone: uniquePhone(), captchaToken: token },
      { headers },
    );
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('CAPTCHA_REQUIRED');
  });

  it('should fail closed with 503 SERVICE_UNAVAILABLE when the provider answers an HTTP error', async () => {
    captcha.failNext(502);
    const response = await sut.http.post(
      '/api/auth/send-otp',
      { phone: uniquePhone(), captchaToken: captcha.solve() },
      { headers },
    );
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
  });

  it('should fail closed with 503 when the provider does not answer within CAPTCHA_TIMEOUT_MS', async () => {
    captcha.holdNext();
    const startedAt = Date.now();
    const response = await sut.http.post(
      '/api/auth/register',
      { email: uniqueEmail('held'), password: PASSWORD, captchaToken: captcha.solve() },
      { headers },
    );
    expect(response.status).toBe(503);
    expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it('should fail closed with 503 when the provider cannot be reached at all', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await startTestApp(
      { CAPTCHA_VERIFY_URL: `http://127.0.0.1:${closedPort}/siteverify`, CAPTCHA_SECRET: CAPTCHA_TEST_SECRET },
      sut.resources,
    );
    try {
      const response = await unreachable.http.post(
        '/api/auth/login',
        { email: uniqueEmail('nobody'), password: PASSWORD, captchaToken: captcha.solve() },
        { headers },
      );
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      await unreachable.close();
    }
  });

  it('should accept and ignore captchaToken where the tenant has CAPTCHA off, without asking the provider', async () => {
    const before = captcha.requests.length;
    const email = await existingUser('default');
    for (const [path, body] of routes(email)) {
      const response = await sut.http.post(path, { ...body, captchaToken: 'anything' });
      expect({ path, status: response.status }).toEqual({ path, status: path === '/api/auth/login' ? 401 : 202 });
    }
    expect(captcha.requests.length).toBe(before);
  });

  it('should not ask for a CAPTCHA on the other routes of a CAPTCHA tenant (verify, resend, reset)', async () => {
    const verify = await sut.http.post('/api/auth/verify-otp', { phone: uniquePhone(), otp: '123456' }, { headers });
    expect(verify.body.code).toBe('OTP_EXPIRED');
  });

  describe('the setting', () => {
    it('should refuse captcha "always" where CAPTCHA_VERIFY_URL is not configured', async () => {
      const plain = await startTestApp({ CAPTCHA_VERIFY_URL: undefined, CAPTCHA_SECRET: undefined }, sut.resources);
      try {
        const id = await createTenant(plain);
        const result = await cli(plain, ['set-tenant-settings', '--id', id, '--json', '{"captcha":"always"}']);
        expect(result.code).toBe(1);
        expect(result.output).toContain('CAPTCHA_VERIFY_URL');
        await expect(plain.app.get(TenantsService).updateSettings(id, { captcha: 'always' })).rejects.toThrow();
        const em = plain.app.get(EntityManager).fork();
        expect((await em.findOneOrFail(Tenant, { id })).settings).toEqual({});
      } finally {
        await plain.close();
      }
    });

    it('should take captcha and smsCountries through set-tenant-settings and refuse bad values', async () => {
      const id = await createTenant(sut);
      // The CLI reads the deployment's configuration, as the service does: CAPTCHA_VERIFY_URL is set.
      const set = async (json: string) => {
        const previous = { ...process.env };
        Object.assign(process.env, captcha.env());
        try {
          return await cli(sut, ['set-tenant-settings', '--id', id, '--json', json]);
        } finally {
          for (const key of Object.keys(captcha.env())) {
            if (previous[key] === undefined) delete process.env[key];
            else process.env[key] = previous[key];
          }
        }
      };
      expect((await set('{"captcha":"always","smsCountries":["DE","FR"]}')).code).toBe(0);
      const em = sut.app.get(EntityManager).fork();
      expect((await em.findOneOrFail(Tenant, { id })).settings).toEqual({
        captcha: 'always',
        smsCountries: ['DE', 'FR'],
      });
      for (const [json, mention] of [
        ['{"captcha":"sometimes"}', 'captcha'],
        ['{"smsCountries":["XX"]}', 'smsCountries'],
        ['{"smsCountries":["de"]}', 'smsCountries'],
        ['{"smsCountries":"DE"}', 'smsCountries'],
      ]) {
        const result = await set(json);
        expect({ json, code: result.code }).toEqual({ json, code: 1 });
        expect(result.output).toContain(mention);
      }
    });
  });
});
