import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { User } from '../../src/modules/users/user.entity';
import { startTestApp, type TestApp } from '../support/test-app';

const METRICS_TOKEN = 'platform-metrics-scraper-token-0123456789';

/** One request with the exact request target given (origin-form `/a`, or absolute-form `http://host/a`). */
function sendWithTarget(
  baseUrl: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: any }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, method, path: target, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    request.once('error', reject);
    request.end(body);
  });
}

describe('platform: errors, health, docs', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await startTestApp({ METRICS_TOKEN });
  });
  afterAll(() => sut.close());

  it('should answer liveness and readiness when PostgreSQL and Redis are up', async () => {
    expect((await sut.http.get('/health/live')).body).toEqual({ status: 'ok' });
    const ready = await sut.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: 'ok', redis: 'ok' });
  });

  it('should answer unknown routes with NOT_FOUND in the error shape and a request id', async () => {
    const response = await sut.http.get('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      error: 'Not found',
      requestId: response.headers.get('x-request-id'),
    });
  });

  it('should echo a client request id', async () => {
    const response = await sut.http.get('/health/live', { headers: { 'x-request-id': 'client-chosen-id-1' } });
    expect(response.headers.get('x-request-id')).toBe('client-chosen-id-1');
  });

  it('should not echo a hostile request id', async () => {
    const response = await sut.http.get('/health/live', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should refuse an unknown tenant with TENANT_UNKNOWN', async () => {
    const response = await sut.http.get('/api/auth/history', { headers: { 'x-tenant-id': 'no-such-tenant' } });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('TENANT_UNKNOWN');
  });

  it('should refuse an unknown tenant in an absolute-form request (POST http://host/api/...) like any other', async () => {
    const email = `absolute-${randomBytes(4).toString('hex')}@example.com`;
    const body = JSON.stringify({ email, password: 'correct horse battery staple' });
    const { host } = new URL(sut.url);
    for (const target of [`http://${host}/api/auth/register`, 'http://evil.example/api/auth/register']) {
      const response = await sendWithTarget(
        sut.url,
        'POST',
        target,
        { 'content-type': 'application/json', 'x-tenant-id': 'no-such-tenant' },
        body,
      );
      expect({ target, status: response.status, code: response.body?.code }).toEqual({
        target,
        status: 400,
        code: 'TENANT_UNKNOWN',
      });
    }
    const history = await sendWithTarget(sut.url, 'GET', `http://${host}/api/auth/history`, {
      'x-tenant-id': 'no-such-tenant',
    });
    expect(history.body.code).toBe('TENANT_UNKNOWN');
    expect(await sut.app.get(EntityManager).fork().count(User, { email })).toBe(0);
  });

  it('should answer an absolute-form request for a known tenant like its origin-form twin', async () => {
    const { host } = new URL(sut.url);
    const absolute = await sendWithTarget(sut.url, 'GET', `http://${host}/api/auth/history`, {});
    expect(absolute.status).toBe(401);
    expect(absolute.body.code).toBe('UNAUTHORIZED');
  });

  it('should let the allowed web origin preflight every method the API uses, PATCH and DELETE included', async () => {
    for (const method of ['GET', 'POST', 'PATCH', 'DELETE']) {
      const response = await fetch(`${sut.url}/api/devices/${randomUUID()}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:3000',
          'access-control-request-method': method,
          'access-control-request-headers': 'content-type,authorization,x-tenant-id,x-request-id',
        },
      });
      expect({ method, status: response.status }).toEqual({ method, status: 204 });
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      const allowed = (response.headers.get('access-control-allow-methods') ?? '').split(',').map((m) => m.trim());
      expect(allowed).toContain(method);
      const headers = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const header of ['content-type', 'authorization', 'x-tenant-id']) expect(headers).toContain(header);
    }
  });

  it('should not let another origin preflight', async () => {
    const response = await fetch(`${sut.url}/api/devices/${randomUUID()}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should send security headers and no X-Powered-By', async () => {
    const response = await sut.http.get('/health/live');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('should publish Prometheus metrics with request durations by route', async () => {
    await sut.http.get('/health/live');
    const response = await sut.http.get('/metrics', { token: METRICS_TOKEN });
    expect(response.status).toBe(200);
    expect(response.text).toContain('http_request_duration_seconds_bucket');
    expect(response.text).toContain('route="/health/live"');
  });

  it('should serve Swagger UI and the live OpenAPI document', async () => {
    expect((await sut.http.get('/docs')).status).toBe(200);
    const doc = await sut.http.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
  });

  it('should open /docs from a LAN address over plain http in development', async () => {
    const page = await sut.http.get('/docs/', { headers: { host: '192.168.1.20:3000' } });
    expect(page.status).toBe(200);
    expect(page.text).toContain('<title>SecureAuth API</title>');
    // The directive made browsers fetch the UI's scripts over https, which a dev server does not speak.
    expect(page.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});

describe('platform: /docs in production', () => {
  let sut: TestApp;

  beforeAll(async () => {
    // The least a production process accepts: real secrets and real (never called) providers.
    sut = await startTestApp({
      NODE_ENV: 'production',
      COOKIE_SECURE: 'true',
      OTP_PEPPER: randomBytes(24).toString('base64'),
      DELIVERY_WEBHOOK_SECRET: randomBytes(24).toString('base64'),
      OIDC_COOKIE_KEYS: randomBytes(32).toString('base64'),
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SMTP_URL: 'smtp://127.0.0.1:2525',
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: 'AC-production-docs-test',
      TWILIO_AUTH_TOKEN: 'production-docs-test',
      TWILIO_FROM: '+15005550006',
      WHATSAPP_PROVIDER: 'cloud-api',
      WHATSAPP_TOKEN: 'production-docs-test',
      WHATSAPP_PHONE_NUMBER_ID: '1234567890',
    });
  });
  afterAll(() => sut.close());

  it('should keep upgrade-insecure-requests in the CSP of /docs: production runs behind TLS', async () => {
    const page = await sut.http.get('/docs/', { headers: { host: '192.168.1.20:3000' } });
    expect(page.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
  });
});
