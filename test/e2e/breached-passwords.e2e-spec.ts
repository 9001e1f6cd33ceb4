import { EntityManager } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { MetricsService } from '../../src/common/metrics/metrics.service';
import { AuditEvent } from '../../src/modules/audit/audit-event.entity';
import type { TestResponse } from '../support/http-client';
import { PwnedPasswordsTestServer, sha1Hex } from '../support/pwned-passwords-test-server';
import { SmtpTestServer } from '../support/smtp-test-server';
import { startTestApp, type TestApp } from '../support/test-app';

const CLEAN = 'a clean and unbreached passphrase';
/** Passes the length and common-list policy; only the range API knows it. */
const BREACHED = 'breached but long enough 2019';
const PADDED_ONLY = 'only on a padding line 7731';
const VOLATILE_HEADERS = new Set(['x-request-id', 'date', 'ratelimit-remaining', 'ratelimit-reset']);

const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString('hex')}@example.com`;

function observable(response: TestResponse) {
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !VOLATILE_HEADERS.has(name)));
  const body = typeof response.body === 'object' && response.body !== null ? { ...response.body } : response.body;
  if (body && typeof body === 'object') delete body.requestId;
  return { status: response.status, body, headers };
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Breached passwords (API.md "Abuse protection"): register, reset and change screen the new
 * password against a Pwned Passwords range API, here a local server speaking its format.
 */
describe('breached passwords: k-anonymity range check on register, reset and change', () => {
  let smtp: SmtpTestServer;
  let range: PwnedPasswordsTestServer;
  let sut: TestApp;
  const baseEnv = () => ({
    SMTP_URL: smtp.url,
    THROTTLE_AUTH_LIMIT: '100000',
    THROTTLE_DEFAULT_LIMIT: '100000',
    OTP_RESEND_COOLDOWN: '1',
  });

  beforeAll(async () => {
    smtp = await SmtpTestServer.start();
    range = await PwnedPasswordsTestServer.start();
    range.addBreached(BREACHED, 3861);
    range.pad(PADDED_ONLY);
    sut = await startTestApp({ ...baseEnv(), ...range.env('block') });
  });
  afterAll(async () => {
    await sut?.close();
    await range?.close();
    await smtp?.close();
  });

  /** Another app on the same data, with other settings; closed after `use`. */
  async function withApp(env: Record<string, string>, use: (app: TestApp) => Promise<void>): Promise<void> {
    const app = await startTestApp({ ...baseEnv(), ...env }, sut.resources);
    try {
      await use(app);
    } finally {
      await app.close();
    }
  }

  async function checksCounted(app: TestApp, labels: { result: string; action: string }): Promise<number> {
    const metric = await app.app.get(MetricsService).breachedPasswordChecks.get();
    const value = metric.values.find(
      (entry) => entry.labels.result === labels.result && entry.labels.action === labels.action,
    );
    return value?.value ?? 0;
  }

  async function signUp(app: TestApp = sut) {
    const email = uniqueEmail('user');
    expect((await app.http.post('/api/auth/register', { email, password: CLEAN })).status).toBe(202);
    const otp = await smtp.waitForCode(email);
    const verified = await app.http.fork().post('/api/auth/email/verify', { email, otp, client: 'native' });
    expect(verified.status).toBe(200);
    return { email, token: verified.body.accessToken as string };
  }

  const breachedAnswer = (field: string) => ({
    status: 400,
    body: {
      statusCode: 400,
      code: 'PASSWORD_BREACHED',
      error: 'Password found in a data breach',
      details: [{ field, message: 'appears in a known data breach; choose another password' }],
    },
    headers: expect.any(Object),
  });

  describe('BREACHED_PASSWORD_CHECK=block', () => {
    it('should refuse a breached password at registration alike for a new and an existing email', async () => {
      const { email: existing } = await signUp();
      const fresh = uniqueEmail('fresh');
      const known = observable(await sut.http.post('/api/auth/register', { email: existing, password: BREACHED }));
      const unknown = observable(await sut.http.post('/api/auth/register', { email: fresh, password: BREACHED }));
      expect(known).toEqual(breachedAnswer('password'));
      expect(unknown).toEqual(known);
      const pending = await sut.app
        .get(EntityManager)
        .fork()
        .getConnection()
        .execute(`select id from pending_registration where email = ?`, [fresh]);
      expect(pending).toEqual([]);
    });

    it('should send the range API only the first five hex characters of the SHA-1, asking for padding', async () => {
      const before = range.requests.length;
      await sut.http.post('/api/auth/register', { email: uniqueEmail('prefix'), password: BREACHED });
      const hash = sha1Hex(BREACHED);
      const sent = range.requests.slice(before);
      expect(sent.map((request) => [request.method, request.path])).toEqual([['GET', `/range/${hash.slice(0, 5)}`]]);
      expect(sent[0].headers['add-padding']).toBe('true');
      expect(JSON.stringify(sent)).not.toContain(hash.slice(5));
      expect(JSON.stringify(sent)).not.toContain(BREACHED);
    });

    it('should accept a password whose suffix is only on a zero-count padding line', async () => {
      const email = uniqueEmail('padded');
      expect((await sut.http.post('/api/auth/register', { email, password: PADDED_ONLY })).status).toBe(202);
      expect(await smtp.waitForCode(email)).toMatch(/^\d{6}$/);
    });

    it('should refuse a breached new password on reset without burning the code', async () => {
      const { email } = await signUp();
      const before = smtp.mailsTo(email).length;
      expect((await sut.http.post('/api/auth/password/forgot', { email })).status).toBe(202);
      const otp = await smtp.waitForCode(email, { skip: before });
      const refused = await sut.http.post('/api/auth/password/reset', { email, otp, newPassword: BREACHED });
      expect(observable(refused)).toEqual(breachedAnswer('newPassword'));
      const reset = await sut.http.post('/api/auth/password/reset', {
        email,
        otp,
        newPassword: 'fresh after reset 99',
      });
      expect(reset.status).toBe(204);
    });

    it('should refuse a breached new password on change and keep the old one', async () => {
      const { email, token } = await signUp();
      const refused = await sut.http
        .fork()
        .post('/api/auth/password/change', { currentPassword: CLEAN, newPassword: BREACHED }, { token });
      expect(observable(refused)).toEqual(breachedAnswer('newPassword'));
      const login = await sut.http.fork().post('/api/auth/login', { email, password: CLEAN, client: 'native' });
      expect(login.status).toBe(200);
    });

    it('should count refused passwords in auth_breached_password_checks_total', async () => {
      const before = await checksCounted(sut, { result: 'breached', action: 'refused' });
      await sut.http.post('/api/auth/register', { email: uniqueEmail('count'), password: BREACHED });
      expect(await checksCounted(sut, { result: 'breached', action: 'refused' })).toBe(before + 1);
    });
  });

  it('should accept a breached password in warn mode, with a password.breached event and a metric', async () => {
    await withApp(range.env('warn'), async (app) => {
      const email = uniqueEmail('warned');
      const response = await app.http.post('/api/auth/register', { email, password: BREACHED });
      expect(response.status).toBe(202);
      expect(await smtp.waitForCode(email)).toMatch(/^\d{6}$/);
      const events = await app.app
        .get(EntityManager)
        .fork()
        .find(AuditEvent, { type: 'password.breached', requestId: response.headers.get('x-request-id') });
      expect(events.map((event) => [event.outcome, event.data])).toEqual([
        ['success', { flow: 'register', action: 'accepted' }],
      ]);
      expect(await checksCounted(app, { result: 'breached', action: 'accepted' })).toBe(1);
    });
  });

  it('should not ask the range API at all when the check is off', async () => {
    await withApp(range.env('off'), async (app) => {
      const before = range.requests.length;
      expect(
        (await app.http.post('/api/auth/register', { email: uniqueEmail('off'), password: BREACHED })).status,
      ).toBe(202);
      expect(range.requests.length).toBe(before);
    });
  });

  describe('the range API unavailable never blocks a user', () => {
    it('should accept the password when nothing listens at HIBP_RANGE_URL, and count it', async () => {
      const url = `http://127.0.0.1:${await closedPort()}/range/`;
      await withApp({ BREACHED_PASSWORD_CHECK: 'block', HIBP_RANGE_URL: url }, async (app) => {
        const email = uniqueEmail('unreachable');
        expect((await app.http.post('/api/auth/register', { email, password: BREACHED })).status).toBe(202);
        expect(await checksCounted(app, { result: 'unavailable', action: 'accepted' })).toBe(1);
      });
    });

    it('should accept the password when the range API answers 503', async () => {
      const failing = await PwnedPasswordsTestServer.start();
      failing.addBreached(BREACHED);
      failing.failWith = 503;
      try {
        await withApp(failing.env('block'), async (app) => {
          const email = uniqueEmail('failing');
          expect((await app.http.post('/api/auth/register', { email, password: BREACHED })).status).toBe(202);
          expect(failing.requests).toHaveLength(1);
          expect(await checksCounted(app, { result: 'unavailable', action: 'accepted' })).toBe(1);
        });
      } finally {
        await failing.close();
      }
    });

    it('should stop waiting for a slow range API after HIBP_TIMEOUT_MS and accept the password', async () => {
      const slow = await PwnedPasswordsTestServer.start();
      slow.addBreached(BREACHED);
      slow.delayMs = 10_000;
      try {
        await withApp({ ...slow.env('block'), HIBP_TIMEOUT_MS: '300' }, async (app) => {
          const started = performance.now();
          const response = await app.http.post('/api/auth/register', {
            email: uniqueEmail('slow'),
            password: BREACHED,
          });
          const elapsed = performance.now() - started;
          expect(response.status).toBe(202);
          // The range API holds its answer for 10 s; the register answered after the 300 ms deadline.
          expect(elapsed).toBeLessThan(5000);
          expect(await checksCounted(app, { result: 'unavailable', action: 'accepted' })).toBe(1);
        });
      } finally {
        await slow.close();
      }
    });
  });
});
